"""server/media"""
