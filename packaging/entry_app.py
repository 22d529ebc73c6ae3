"""Frozen entry point of ``savsr-app`` (the desktop app); PyInstaller starts here."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from savsr_app.main import main
    sys.exit(main())
