"""``savsr-app [FILE]``: start SAVSR Studio, optionally opening a clip."""
from __future__ import annotations

import argparse
import sys

from . import APP_NAME, ORG_NAME


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="savsr-app", description=f"{APP_NAME}: upscale video with SAVSR.")
    parser.add_argument("file", nargs="?", help="a video clip to open")
    return parser.parse_args(argv)


def start(argv=None):
    """Create the application (if needed) and the main window, open ``FILE``; returns the window."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .main_window import MainWindow
    from .qt import QApplication, icon
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(icon("mdi6.movie-open-star-outline", color="#3d8bfd"))
    window = MainWindow()
    window.show()
    if args.file:
        window.open_path(args.file)
    return window


def main(argv=None) -> int:
    window = start(argv)
    from .qt import QApplication
    code = QApplication.instance().exec()
    del window
    return code


if __name__ == "__main__":
    sys.exit(main())
