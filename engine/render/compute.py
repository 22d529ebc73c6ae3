"""What computes a render, settled once before its first frame: ``resolve(p, work, model, device, note)``.

The job's backend and precision may be ``auto``; the render replaces them with what this machine
uses (:func:`engine.backends.choice.choose`) and hands that plan to every worker process or Ray task,
so no worker decides on its own. The result is recorded in the work folder's manifest: a resumed
render computes its remaining frames as the interrupted one computed the first ones. A CPU render
of fewer than ``AUTO_MIN_FRAMES`` frames keeps torch unless the compiled graph of every tile shape is
already in the cache (a preview of the same job prepared it), in which case it renders the
preview's pixels.
"""
from __future__ import annotations

import dataclasses

import torch

from ..backends import AUTO_MIN_FRAMES
from ..backends.choice import Choice, choose
from . import events
from .inference import Upscaler

MANIFEST_KEY = "compute"
COMPUTING = "computing on "      # how the render's note about it begins (the app's queue row shows it)


def computing_words(note: str) -> str:
    """``CPU · OpenVINO bf16`` from the render's note ``computing on CPU · OpenVINO bf16 (auto: ...)``."""
    return note[len(COMPUTING):].split(" (", 1)[0] if note.startswith(COMPUTING) else ""


MEASURING = "preparing the network: timing the precisions this machine computes (once per model)"


def resolve(p, work, model, device: torch.device, note, announce=None):
    """``p`` with its job's backend and precision settled; notes what computes the render and why
    (``note(text, kind="computing", words=...)``: the render's note, which also sends it as an event).
    ``announce(message)`` hears, before it starts, that ``auto`` is about to measure (tens of seconds)."""
    job = p.job
    recorded = work.manifest.get(MANIFEST_KEY) if work.manifest else None
    if recorded and work.frames_done:
        choice = Choice(recorded["backend"] if job.backend == "auto" else job.backend,
                        recorded["precision"] if job.precision == "auto" else job.precision,
                        "resumed: as the frames already rendered")
    else:
        choice = _choose(p, work, model, device, note, announce or (lambda _msg: None))
        work.manifest[MANIFEST_KEY] = {"backend": choice.backend, "precision": choice.precision}
        work.save()
    note(f"{COMPUTING}{choice.describe(device)}" + (f" ({choice.reason})" if choice.reason else ""),
         kind=events.COMPUTING, words=choice.describe(device))
    return dataclasses.replace(p, job=job.replace(backend=choice.backend, precision=choice.precision))


def _choose(p, work, model, device, note, announce) -> Choice:
    job = p.job
    frames = p.frame_count - work.frames_done
    shapes = [(model.num_frame, h, w) for h, w in _shapes(p, model, device)]
    if job.backend != "auto" or device.type != "cpu" or frames >= AUTO_MIN_FRAMES:
        if choose(model, device, job.backend, job.precision, note, measure=False) is None:
            announce(MEASURING)
        return choose(model, device, job.backend, job.precision, note, shape=shapes[0])
    known = choose(model, device, "auto", job.precision, note, measure=False)
    if known is not None and known.backend != "torch" and _graphs_ready(model, device, known, shapes):
        return Choice(known.backend, known.precision, f"{known.reason}; its graphs are in the cache"
                      if known.reason else "its graphs are in the cache", known.timings)
    on_torch = choose(model, device, "torch", job.precision, note)
    return Choice("torch", on_torch.precision,
                  f"auto: {frames} frames do not repay preparing a compiled graph")


def _shapes(p, model, device) -> list[tuple[int, int]]:
    """The tile shapes the render's network sees, largest first."""
    up = Upscaler(model, device, "fp32", p.scale, (p.out_size[1], p.out_size[0]), p.job.tile, backend="torch")
    return up.shapes(p.in_size[1], p.in_size[0])


def _graphs_ready(model, device, choice: Choice, shapes) -> bool:
    """Whether every one of ``shapes`` is compiled and checked for ``choice`` in the graph cache."""
    from ..backends import Accelerated
    acc = Accelerated(model, choice.backend, device, choice.precision)
    return all(acc.ready(choice.backend, shape) for shape in shapes)
