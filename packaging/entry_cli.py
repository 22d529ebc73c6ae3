"""Frozen entry point of ``savsr`` (the command line); PyInstaller starts here."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from engine.cli import main
    sys.exit(main())
