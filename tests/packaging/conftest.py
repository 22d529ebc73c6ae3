"""Packaging tests: the ``packaging``-marked ones build the PyInstaller bundle (minutes), so they run
only when asked for -- ``pytest -m packaging`` or ``SAVSR_PACKAGING_TESTS=1`` -- and are skipped,
with that reason, in the default run. Unmarked tests in this folder run as usual."""
from __future__ import annotations

import os

import pytest


def _asked_for(config) -> bool:
    expr = (config.getoption("-m") or "").replace(" ", "")
    return os.environ.get("SAVSR_PACKAGING_TESTS") == "1" or ("packaging" in expr and "notpackaging" not in expr)


def pytest_collection_modifyitems(config, items):
    if _asked_for(config):
        return
    skip = pytest.mark.skip(reason="builds the PyInstaller bundle and runs it (5-10 min on 2 cores): "
                                   "run with `pytest -m packaging` or SAVSR_PACKAGING_TESTS=1")
    for item in items:
        if item.get_closest_marker("packaging"):
            item.add_marker(skip)
