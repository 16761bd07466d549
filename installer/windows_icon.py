"""The Windows icon of the two programs (the .exe files in Explorer, the desktop shortcut, the task
bar before Qt sets the window icon), drawn from resources/icons/schoolq.svg at build time so the
SVG stays the one source of the picture.

Qt draws the SVG at each size Windows asks for (so small sizes are drawn, not shrunk), and Pillow
writes the frames into one .ico file.
"""
from __future__ import annotations

import io
from pathlib import Path

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def write_ico(svg: Path, target: Path) -> Path:
    """Draw `svg` at every ICO_SIZES and write them to `target` (.ico); return `target`."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(["windows_icon", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"not a drawable SVG: {svg}")
    frames = []
    for size in ICO_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        frames.append(Image.open(io.BytesIO(bytes(data))).convert("RGBA"))
    del app
    target.parent.mkdir(parents=True, exist_ok=True)
    largest = frames[-1]
    largest.save(target, format="ICO", sizes=[f.size for f in frames], append_images=frames[:-1])
    return target
