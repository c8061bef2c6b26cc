"""Loads the .qm translation for the chosen language and swaps it live."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ui.resources import RESOURCES_DIR

LANGUAGES = ("vi", "en")
I18N_DIR = RESOURCES_DIR / "i18n"


class Translations:
    """Installs ``softphone_<lang>.qm`` plus Qt's own strings; installing sends LanguageChange to widgets."""

    def __init__(self, app: QCoreApplication, directory: Path = I18N_DIR) -> None:
        self._app = app
        self._dir = directory
        self._installed: list[QTranslator] = []
        self.language = "en"

    def apply(self, language: str) -> bool:
        language = language if language in LANGUAGES else "en"
        for t in self._installed:
            self._app.removeTranslator(t)
        self._installed.clear()
        ok = True
        if language != "en":
            ours = QTranslator(self._app)
            ok = ours.load(str(self._dir / f"softphone_{language}.qm"))
            if ok:
                self._app.installTranslator(ours)
                self._installed.append(ours)
            qt = QTranslator(self._app)
            if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                self._app.installTranslator(qt)
                self._installed.append(qt)
        QLocale.setDefault(
            QLocale(QLocale.Language.Vietnamese if language == "vi" else QLocale.Language.English)
        )
        self.language = language
        return ok
