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
from .inference import Upscaler

MANIFEST_KEY = "compute"


def resolve(p, work, model, device: torch.device, note):
    """``p`` with its job's backend and precision settled; notes what computes the render and why."""
    job = p.job
    recorded = work.manifest.get(MANIFEST_KEY) if work.manifest else None
    if recorded and work.frames_done:
        choice = Choice(recorded["backend"] if job.backend == "auto" else job.backend,
                        recorded["precision"] if job.precision == "auto" else job.precision,
                        "resumed: as the frames already rendered")
    else:
        choice = _choose(p, work, model, device, note)
        work.manifest[MANIFEST_KEY] = {"backend": choice.backend, "precision": choice.precision}
        work.save()
    note(f"computing on {choice.describe(device)}" + (f" ({choice.reason})" if choice.reason else ""))
    return dataclasses.replace(p, job=job.replace(backend=choice.backend, precision=choice.precision))


def _choose(p, work, model, device, note) -> Choice:
    job = p.job
    frames = p.frame_count - work.frames_done
    if job.backend != "auto" or device.type != "cpu" or frames >= AUTO_MIN_FRAMES:
        return choose(model, device, job.backend, job.precision, note)
    known = choose(model, device, "auto", job.precision, note, measure=False)
    if known is not None and known.backend != "torch" and _graphs_ready(p, model, device, known):
        return Choice(known.backend, known.precision, f"{known.reason}; its graphs are in the cache"
                      if known.reason else "its graphs are in the cache", known.timings)
    on_torch = choose(model, device, "torch", job.precision, note)
    return Choice("torch", on_torch.precision,
                  f"auto: {frames} frames do not repay preparing a compiled graph")


def _graphs_ready(p, model, device, choice: Choice) -> bool:
    """Whether every tile shape of ``p`` is compiled and checked for ``choice`` in the graph cache."""
    from ..backends import Accelerated
    up = Upscaler(model, device, choice.precision, p.scale, (p.out_size[1], p.out_size[0]), p.job.tile,
                  backend="torch")
    acc = Accelerated(model, choice.backend, device, choice.precision)
    return all(acc.ready(choice.backend, (model.num_frame, h, w)) for h, w in up.shapes(p.in_size[1], p.in_size[0]))
