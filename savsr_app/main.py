"""``savsr-app [FILE]``: start SAVSR Studio, optionally opening a clip."""
from __future__ import annotations

import argparse
import sys

from . import APP_NAME, ORG_NAME


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="savsr-app", description=f"{APP_NAME}: upscale video with SAVSR.")
    parser.add_argument("file", nargs="?", help="a video clip to open")
    parser.add_argument("--selftest", action="store_true",
                        help="check this installation without a window: render 8 frames of the bundled sample "
                             "with the bundled model, check them, print one line, exit 0 if OK")
    return parser.parse_args(argv)


def start(argv=None):
    """Create the application (if needed) and the main window, open ``FILE``; returns the window."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from engine.backends import isolate_exports
    from engine.resources import resources_dir

    from .qt import QApplication, QIcon
    from .support.heap import settle_heap
    from .window.main_window import MainWindow
    from .window.theme import apply_theme
    isolate_exports()                       # graph tracing would hold the interpreter lock the UI needs
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)                        # dark until the settings say otherwise (the window applies them)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("savsr-studio")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "savsr_studio.png")))
    window = MainWindow()
    window.show()
    settle_heap()                           # the imports and the window: long-lived, never to be scanned again
    if args.file:
        window.open_path(args.file)
    return window


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if parse_args(argv).selftest:  # headless: no QApplication on this path
        from engine.backends import isolate_exports
        from engine.cli.selftest import run_selftest
        isolate_exports()                   # as the app prepares its renders' graphs
        return 0 if run_selftest() else 1
    from .support.platform_check import xcb_problem
    problem = xcb_problem()
    if problem:                             # Qt's own message is a paragraph about plugins
        print(f"savsr-app: {problem}", file=sys.stderr)
        return 1
    window = start(argv)
    from .qt import QApplication
    code = QApplication.instance().exec()
    del window
    return code


if __name__ == "__main__":
    sys.exit(main())
