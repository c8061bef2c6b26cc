"""The call center's decisions, sans-IO: schedules, IVR menus, queues, ring groups and queue metrics.

Nothing here reads a clock, a socket or the database: callers pass the time in and carry the returned
actions out (the PBX routes calls, the media plane plays and collects; see docs/call-center.md).
"""
