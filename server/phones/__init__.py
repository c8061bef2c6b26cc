"""Desk-phone provisioning: Yealink, Grandstream, Poly, Snom and Cisco MPP phones fetch their files by MAC.

Theory of operation (docs/desk-phones.md has the admin's view):

- `values`: the vendor-neutral values a phone's files are made of (lines, BLF keys, PBX, locale, token URL).
- `vendor` + one module per vendor: which file names its phones ask for (and which carry a MAC), what its
  User-Agent looks like, and how the neutral values become its keys, layered vendor base -> model -> this
  phone -> its overrides, serialised in its format per request.  Sans-IO: no database, no clock.
- `catalog`: the five vendors and `by_mac`, the decision what a request without a token is (pairing file of
  the asking vendor, a shared file, a suspect guess, or a quiet 404).
- `gate`: plain HTTP only from configured networks, a rate limit per address and a temporary ban for
  addresses that keep guessing, over the PBX's `FloodGuard` (time passed in).
- `app`: the Starlette file service mounted at `/phones/` that glues the above to the domain
  (`server.domain.desk_phone_files`: pairing, token lookup, audit).
"""
