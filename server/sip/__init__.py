"""server/sip"""
