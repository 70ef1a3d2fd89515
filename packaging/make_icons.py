"""Render the app icon (resources/icons/lisa-desktop.svg) into the raster files installers need.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

writes resources/icons/lisa-desktop.png (256 px: the .deb's hicolor icon), packaging/windows/lisa-desktop.ico
(16-256 px) and packaging/macos/lisa-desktop.icns (16-1024 px, Retina sizes included). The outputs are committed,
so the Windows and macOS recipes need not run this; run it again after changing the svg. Qt renders the PNGs;
the .ico and .icns containers (PNG entries) are written here: no other imaging library.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SVG = REPO / "resources" / "icons" / "lisa-desktop.svg"
PNG = REPO / "resources" / "icons" / "lisa-desktop.png"
ICO = REPO / "packaging" / "windows" / "lisa-desktop.ico"
ICNS = REPO / "packaging" / "macos" / "lisa-desktop.icns"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {  # the PNG-bearing icns element types (macOS 10.7 and later) and their pixel sizes
    b"icp4": 16,
    b"icp5": 32,
    b"icp6": 64,
    b"ic07": 128,
    b"ic08": 256,
    b"ic09": 512,
    b"ic10": 1024,
    b"ic11": 32,
    b"ic12": 64,
    b"ic13": 256,
    b"ic14": 512,
}


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico whose entries are PNG images (Windows Vista and later read them)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, data = b"", b""
    for size, png in pngs.items():
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1

    def png(size: int) -> bytes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise RuntimeError(f"cannot encode a {size}px PNG")
        return bytes(data.data())

    pngs = {size: png(size) for size in sorted({256, *ICO_SIZES, *ICNS_TYPES.values()})}
    outputs = {
        PNG: pngs[256],
        ICO: ico({size: pngs[size] for size in ICO_SIZES}),
        ICNS: icns(pngs),
    }
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(REPO)}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
