"""Renders ui/resources/icons/app.svg into the desktop icons the installers need.

    .venv/bin/python packaging/make_icons.py     (QT_QPA_PLATFORM=offscreen works headless)

Writes ``app.png`` (256 px, Linux .desktop / tray fallback), ``app.ico`` (Windows: 16-256 px) and
``app.icns`` (macOS: 16-1024 px). Both containers hold PNG images, which Windows Vista+ and macOS 10.7+
read, so only Qt (already a dependency) is needed: no Pillow, no iconutil.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "ui" / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns element types holding PNG data, by pixel size (Apple's "ic07".."ic10", "icp4".."icp6")
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
)


def render_png(svg: Path, size: int) -> bytes:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"cannot render {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size, each pointing at a PNG (width/height byte 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(images: dict[bytes, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in images.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(icons: Path = ICONS) -> list[Path]:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = icons / "app.svg"
    out = {
        icons / "app.png": render_png(svg, 256),
        icons / "app.ico": ico({s: render_png(svg, s) for s in ICO_SIZES}),
        icons / "app.icns": icns({kind: render_png(svg, s) for kind, s in ICNS_TYPES}),
    }
    for path, data in out.items():
        path.write_bytes(data)
    return list(out)


if __name__ == "__main__":
    for p in main():
        print(p)
