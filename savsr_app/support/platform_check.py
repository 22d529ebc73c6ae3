"""Before Qt starts on Linux: are the system libraries of Qt's X11 (xcb) platform plugin installed?

Qt's own answer to a missing one is a paragraph about plugins ("could not load the Qt platform plugin
xcb ... available platform plugins are ..."); this says which library is missing and the package
that has it, in one sentence. No Qt here. The list is the plugin's ``ldd`` output less what every
desktop has (checked on Debian 12 and Ubuntu 24.04 images); docs/app.md and the Linux installer
recipe list the same packages.
"""
from __future__ import annotations

import ctypes
import os
import sys

XCB_LIBRARIES = {  # soname: Debian/Ubuntu package
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will start its xcb plugin: Linux, no other platform asked for, not a Wayland session."""
    if not platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "").split(";")[0].strip()
    if asked:
        return asked == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def missing_xcb_libraries(load=ctypes.CDLL) -> list[str]:
    """The sonames in :data:`XCB_LIBRARIES` that the dynamic loader cannot find."""
    missing = []
    for soname in XCB_LIBRARIES:
        try:
            load(soname)
        except OSError:
            missing.append(soname)
    return missing


def xcb_problem(environ=os.environ, load=ctypes.CDLL) -> str | None:
    """One sentence naming what is missing and how to install it, or ``None`` when all is there."""
    if not uses_xcb(environ):
        return None
    missing = missing_xcb_libraries(load)
    if not missing:
        return None
    packages = " ".join(XCB_LIBRARIES[m] for m in missing)
    return (f"SAVSR Studio cannot open a window: Qt's X11 support needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed (Debian/Ubuntu: sudo apt install {packages}).")
