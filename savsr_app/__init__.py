"""SAVSR Studio desktop app (PySide6). Every Qt import goes through :mod:`savsr_app.qt`."""
APP_NAME = "SAVSR Studio"
ORG_NAME = "SAVSR"

import engine.privacy  # noqa: E402,F401  (before anything can import OpenVINO: no telemetry, no fork)
