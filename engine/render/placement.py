"""Where a render's segments are computed: how many worker processes, threads each, on which devices.

:class:`Placement` is data, like the job: the CLI builds it from ``--workers``, ``--threads`` and
``--devices``, the app from its settings. One worker (the default) renders in the calling process;
more run segments in parallel worker processes (:mod:`.workers`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import SavsrError


class PlacementError(SavsrError, ValueError):
    """Workers, threads or devices that cannot be used together."""


@dataclass(frozen=True)
class Placement:
    """``workers``: ``None`` picks (one per GPU in ``devices``, else 1). ``threads``: torch threads per
    worker (0: the cores divided between the workers). ``devices``: ``""`` (the job's device), ``cpu``,
    ``cuda:0,cuda:1`` or ``all`` (every GPU, else the CPU; ``auto`` is the same)."""

    workers: int | None = None
    threads: int = 0
    devices: str = ""
    isolated: bool = False      # one worker too renders in a worker process (the app: a crash costs a segment)

    def worker_devices(self, job_device: str = "auto") -> list[str]:
        """The device of each worker, GPUs taken in turn; raises :class:`PlacementError`."""
        names = parse_devices(self.devices or job_device)
        n = self.workers if self.workers is not None else (len(names) if names[0] != "cpu" else 1)
        if n < 1:
            raise PlacementError(f"the number of workers must be at least 1 (got {n})")
        if self.threads < 0:
            raise PlacementError(f"the number of threads must be 0 (automatic) or more (got {self.threads})")
        return [names[i % len(names)] for i in range(n)]

    def worker_threads(self, workers: int) -> int:
        """Torch threads per worker: as set, else the cores shared out (at least one each)."""
        return self.threads or max(1, (os.cpu_count() or 1) // workers)

    def in_process(self, job_device: str = "auto") -> bool:
        """Whether the render runs in the calling process (one worker, not isolated), not in worker processes."""
        return not self.isolated and len(self.worker_devices(job_device)) == 1


def parse_devices(text: str) -> list[str]:
    """``cpu``, ``auto``, ``all`` or a comma list of ``cuda:N`` as a list of device names."""
    import torch
    text = (text or "auto").strip().lower()
    gpus = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if text in ("auto", "all"):  # one worker per GPU when several are present
        return gpus or ["cpu"]
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise PlacementError("no device given: use cpu, cuda:0,cuda:1 or all")
    if "cpu" in names and len(set(names)) > 1:
        raise PlacementError("a render uses either the CPU or GPUs, not both (their results differ slightly)")
    for name in names:
        if name != "cpu" and not (name.startswith("cuda:") and name[5:].isdigit()):
            raise PlacementError(f"unknown device {name!r}: use cpu, cuda:N (comma-separated) or all")
        if name != "cpu" and int(name[5:]) >= len(gpus):
            raise PlacementError(f"device {name} does not exist: {len(gpus)} CUDA GPU(s) found")
    return list(dict.fromkeys(names))
