"""PyInstaller hook for PySide6.QtGui: PyInstaller's own collection, minus plugins this program cannot use.

Hooks in installer/hooks take precedence over PyInstaller's built-in hook of the same name. The built-in
hook collects every QtGui plugin whose Qt libraries are installed; with PySide6-Addons present in the
build environment that includes the virtual keyboard input method (it needs Qt Quick and QML, tens of MB)
and the PDF image format (Qt Pdf), and on Linux the GTK 3 theme (GTK is not shipped, yet cairo, pango
and friends would be). Removing them here, before PyInstaller resolves dependencies, keeps those
libraries out of the bundle; Qt falls back to its own Fusion style and input methods.

Also left out, with the Qt libraries only they need (QtNetwork, QtOpenGL, QtWaylandClient, EglFS —
about 9 MB on Linux): the window systems other than the desktop's own (Windows; X11 on Linux, which a
Wayland desktop also offers) and offscreen (tests, screenshots) — i.e. EGLFS, LinuxFB, VNC, Vulkan and
the Wayland client with its shell, decoration and graphics plugins; OpenGL for X11 (the window draws
with QPainter); touch and tablet input devices read directly from /dev (evdev, TUIO); and the image
formats the program never reads (JPEG, WebP, TIFF, GIF, ICNS, WBMP, TGA: its icons are SVG, its
pictures are saved as PNG, built into QtGui). Kept: the platform plugins xcb / windows, offscreen and
minimal, SVG and ICO images and icons, input methods (ibus, compose: typing Chinese), the desktop portal.
"""
from __future__ import annotations

import re
from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGINS = ("qtvirtualkeyboardplugin", "qpdf", "qgtk3")
UNUSED_PLUGIN_FOLDERS = ("egldeviceintegrations", "generic", "xcbglintegrations", "wayland-decoration-client",
                         "wayland-graphics-integration-client", "wayland-shell-integration")
UNUSED_PLUGIN = re.compile(r"(lib)?q(eglfs|minimalegl|vnc|linuxfb|vkkhrdisplay|wayland|direct2d|jpeg|webp|tiff|gif"
                           r"|icns|wbmp|tga)d?$")


def wanted(source: str, dest: str) -> bool:
    """False for a plugin the program cannot use (see the module docstring)."""
    stem = Path(source).stem
    folder = Path(dest).name
    return not (any(name in stem for name in UNUSED_PLUGINS) or folder in UNUSED_PLUGIN_FOLDERS
                or (folder in ("platforms", "imageformats") and UNUSED_PLUGIN.match(stem)))


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, dest) for source, dest in binaries if wanted(source, dest)]
