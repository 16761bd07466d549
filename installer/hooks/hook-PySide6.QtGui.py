"""PyInstaller hook for PySide6.QtGui: PyInstaller's own collection, minus plugins this program cannot use.

Hooks in installer/hooks take precedence over PyInstaller's built-in hook of the same name. The built-in
hook collects every QtGui plugin whose Qt libraries are installed; with PySide6-Addons present in the
build environment that includes the virtual keyboard input method (it needs Qt Quick and QML, tens of MB)
and the PDF image format (Qt Pdf), and on Linux the GTK 3 theme (GTK is not shipped, yet cairo, pango
and friends would be). Removing them here, before PyInstaller resolves dependencies, keeps those
libraries out of the bundle; Qt falls back to its own Fusion style and input methods.
"""
from __future__ import annotations

from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGINS = ("qtvirtualkeyboardplugin", "qpdf", "qgtk3")

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, dest) for source, dest in binaries
            if not any(name in Path(source).stem for name in UNUSED_PLUGINS)]
