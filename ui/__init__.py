"""The desktop app (``softphone``): PySide6 Qt Widgets on the Qt-free ``softphone`` engine.

Layout: ``app.py`` is the composition root (``main()``: single instance, qasync loop, engine, stores,
provisioning client); ``engine_link.py`` brings engine events and command results to the GUI thread;
``viewmodels/`` turn them (and server answers) into state with one ``changed`` signal each; ``views/`` lay
out widgets and bind to view-models, holding no behaviour. Qt-free helpers: ``phone_numbers``, ``links``,
``account_book``, ``contact_import``, ``preferences``, ``autostart``. Strings go through ``tr()``; Vietnamese
lives in ``resources/i18n`` (shipped as package data of ``ui.resources``).
"""
