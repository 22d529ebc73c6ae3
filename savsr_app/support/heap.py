"""Keep the cyclic garbage collector off the UI thread's back.

A loaded network is tens of thousands of Python objects (modules, parameters, hooks). Each full
collection scans them all again while holding the interpreter lock, whichever thread triggers it:
measured with benchmarks/preview_latency.py (OpenVINO, idle machine, three runs each), the UI
thread's longest stall was 92-106 ms with the collector as is and 7-15 ms with the objects frozen.
"""
from __future__ import annotations

import gc


def settle_heap() -> None:
    """Exclude every object alive now from future collections (:func:`gc.freeze`): call it after
    loading big, long-lived things (start-up, a model). Objects made later are collected as usual;
    frozen ones are still freed by reference counting when nothing refers to them."""
    gc.freeze()
