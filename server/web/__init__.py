"""server/web"""
