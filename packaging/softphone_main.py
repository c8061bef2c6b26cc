"""PyInstaller entry script (the installed package uses the ``softphone`` console script instead)."""

from ui.app import main

raise SystemExit(main())
