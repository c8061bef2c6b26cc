"""server/sip: the PBX's SIP core (sans-IO protocol modules plus the asyncio service around them).

The hot modules may be compiled to C extensions by `python -m server.native_build`; Python then imports
`<module>.cpython-*.so` instead of `<module>.py`.  An extension older than its source would silently run
old code, so importing the package refuses that and says how to rebuild.
"""

import os

from server.native_check import stale_extensions

if _stale := stale_extensions(os.path.dirname(__file__)):
    raise ImportError(
        f"server/sip: {', '.join(_stale)} changed after it was compiled; rebuild with "
        "`python -m server.native_build` (or remove the extensions with `--clean`)"
    )
