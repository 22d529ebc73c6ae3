"""No usage reporting, ever: every dependency's telemetry is off before that dependency can load.

Imported first by :mod:`engine` (and so by the app, the CLI and every worker process), this module

* makes ``openvino_telemetry`` unimportable. ``import openvino`` otherwise starts Intel's usage
  sender, which forks the process from a thread-pool thread, writes ``~/intel/``, and tries to reach
  Google Analytics; a fork of a process already running torch, PyAV and prefetch threads deadlocks,
  and the render it belongs to never exits. OpenVINO and NNCF catch the ImportError and use their
  own no-op stand-ins (checked: 0 forks and no ``~/intel`` after ``import openvino``).
* sets Ray's documented switch for its usage statistics (``RAY_USAGE_STATS_ENABLED=0``).
* turns ONNX Runtime's telemetry events off (:func:`quiet_onnxruntime`, called where a session is made;
  they exist on Windows builds only).

Nothing in the product depends on ``CI=true``, which is how OpenVINO's own tests keep it quiet.
"""
from __future__ import annotations

import os
import sys

BLOCKED_MODULES = ("openvino_telemetry",)
OFF_SWITCHES = {"RAY_USAGE_STATS_ENABLED": "0"}


def block_telemetry() -> None:
    """Idempotent; a no-op for a module already imported (nothing in the product imports one first)."""
    for name in BLOCKED_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None         # `import name` now raises ImportError
    for key, value in OFF_SWITCHES.items():
        os.environ[key] = value


def quiet_onnxruntime(ort) -> None:
    off = getattr(ort, "disable_telemetry_events", None)
    if off is not None:
        off()


block_telemetry()
