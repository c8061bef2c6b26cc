"""PyInstaller entry script (the installed package uses the ``softphone`` console script instead).

``--keyring-helper`` runs the app's short-lived keyring process (softphone.secrets.KeyringProcess) without Qt.
"""

import sys

if sys.argv[1:2] == ["--keyring-helper"]:
    from softphone.secrets import serve

    raise SystemExit(serve(sys.argv[2] if len(sys.argv) > 2 else "softphone"))

from ui.app import main

raise SystemExit(main())
