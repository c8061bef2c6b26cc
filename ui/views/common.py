"""Small shared pieces of the views: icons, the style sheet, presence dots."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from ui.resources import RESOURCES_DIR


def resources_dir() -> Path:
    return RESOURCES_DIR


ICON_INK = "#37474f"


def titled_page(page: QWidget, *, spacing: int | None = None) -> tuple[QVBoxLayout, QLabel]:
    """Lay out a sidebar page: the shared margins and a title on top (its text comes from retranslate)."""
    page.setObjectName("page")
    lay = QVBoxLayout(page)
    lay.setContentsMargins(24, 16, 24, 16)
    if spacing is not None:
        lay.setSpacing(spacing)
    title = QLabel(page)
    title.setObjectName("title")
    lay.addWidget(title)
    return lay, title


def icon(name: str, color: str | None = None) -> QIcon:
    """An icon from resources/icons; ``color`` repaints its ink (light icons for the dark sidebar)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if color is None:
        return QIcon(str(path))
    svg = path.read_text(encoding="utf-8").replace(ICON_INK, color)
    pm = QPixmap()
    pm.loadFromData(svg.encode(), "SVG")
    return QIcon(
        pm.scaled(48, 48, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    )


def dot_pixmap(color: str, size: int = 12, *, bar: bool = False) -> QPixmap:
    """A presence dot; ``bar`` draws the white bar of "do not disturb"."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, size - 2, size - 2)
    if bar:
        p.setBrush(QColor("#ffffff"))
        p.drawRect(3, size // 2 - 1, size - 6, 2)
    p.end()
    return pm


def action_button(icon_name: str, parent: QWidget | None = None, *, checkable: bool = False) -> QToolButton:
    b = QToolButton(parent)
    b.setIcon(icon(icon_name))
    b.setIconSize(QSize(22, 22))
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
    b.setCheckable(checkable)
    b.setFixedSize(124, 64)
    b.setObjectName("callAction")
    return b


def round_button(icon_name: str, color: str, parent: QWidget | None = None, size: int = 56) -> QPushButton:
    b = QPushButton(parent)
    b.setIcon(icon(icon_name))
    b.setIconSize(QSize(size // 2, size // 2))
    b.setFixedSize(size, size)
    b.setStyleSheet(
        f"QPushButton {{ background: {color}; border: none; border-radius: {size // 2}px; }}"
        f"QPushButton:hover {{ background: {QColor(color).lighter(115).name()}; }}"
        f"QPushButton:disabled {{ background: #c7ccd1; }}"
    )
    return b


STYLE_SHEET = """
QWidget { font-size: 10pt; }
QMainWindow, #page { background: #f7f8fa; }
#sidebar { background: #1f2933; border: none; color: #e4e7eb; outline: 0; }
#sidebar::item { padding: 10px 12px; border-radius: 6px; margin: 2px 6px; }
#sidebar::item:selected { background: #3e4c59; color: #ffffff; }
#sidebar::item:hover:!selected { background: #323f4b; }
#topBar { background: #ffffff; border-bottom: 1px solid #e4e7eb; }
#title { font-size: 16pt; font-weight: 600; color: #1f2933; }
#subtitle { color: #616e7c; }
#error { color: #c92a2a; }
#numberEdit { font-size: 20pt; border: none; border-bottom: 2px solid #cbd2d9; background: transparent;
  padding: 4px; }
#numberEdit:focus { border-bottom-color: #1971c2; }
#key { font-size: 15pt; min-width: 64px; min-height: 48px; border: 1px solid #e4e7eb; border-radius: 8px;
  background: #ffffff; }
#key:hover { background: #eef2f6; }
#key:pressed { background: #d9e2ec; }
#callAction { border: 1px solid #e4e7eb; border-radius: 8px; background: #ffffff; padding: 4px; }
#callAction:checked { background: #d0ebff; border-color: #74c0fc; }
#callAction:disabled { color: #9aa5b1; }
#card { background: #ffffff; border: 1px solid #e4e7eb; border-radius: 10px; }
#recordingBadge { color: #ffffff; background: #c92a2a; border-radius: 8px; padding: 2px 8px;
  font-weight: 600; }
#banner { background: #fff3bf; border: 1px solid #ffe066; border-radius: 6px; padding: 6px; }
#primary { background: #1971c2; color: #ffffff; border: none; border-radius: 6px; padding: 8px 18px;
  font-weight: 600; }
#primary:hover { background: #1c7ed6; }
#primary:disabled { background: #a5d8ff; }
#link { border: none; color: #1971c2; background: transparent; text-decoration: underline; }
#incoming { background: #1f2933; border-radius: 12px; }
#incoming QLabel { color: #ffffff; }
#bubbleIn { background: #ffffff; border: 1px solid #e4e7eb; border-radius: 10px; padding: 6px 10px; }
#bubbleOut { background: #d0ebff; border-radius: 10px; padding: 6px 10px; }
QListWidget::item { padding: 4px 6px; }
QDialogButtonBox QPushButton { icon-size: 0px; }
#dndBanner { background: #ffe3e3; color: #a61e1e; border-bottom: 1px solid #ffc9c9; padding: 6px 16px; }
"""


def presence_icon(presence: str) -> QIcon:
    from ui.views.texts import STATUS_COLORS

    return QIcon(dot_pixmap(STATUS_COLORS.get(presence, STATUS_COLORS[""]), bar=presence == "dnd"))
