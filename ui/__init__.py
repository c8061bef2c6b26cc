"""The desktop app (``softphone``): PySide6 Qt Widgets on the Qt-free ``softphone`` package.

``ui/`` is Qt only. ``app.py`` is the composition root (``main()``: single instance, qasync loop, engine,
stores, provisioning client, global hotkeys); ``engine_link.py`` sends typed engine commands and brings engine
events and results to the GUI thread; ``viewmodels/`` turn them (and server answers) into state with one
``changed`` signal each; ``views/`` lay out widgets and bind to view-models, holding no behaviour;
``selftest.py`` is the ``--self-test`` walk through the real widgets. Everything without Qt (numbers, account
book, preferences, contacts import, history logs, links) lives in ``softphone/``. Strings go through
``tr()``; Vietnamese lives in ``resources/i18n`` (shipped as package data of ``ui.resources``).
"""

from ui import pyside_imports

# First thing, before the app's imports go through shiboken's import hook (see pyside_imports.py).
pyside_imports.install()
