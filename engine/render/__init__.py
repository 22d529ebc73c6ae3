"""Rendering a clip: plan the job, stream its frames through the network in tiles, write and join
segments in a resumable work folder.

| module | what it does |
| --- | --- |
| `job.py` | `RenderJob`: what the user asked for (input, output, scale or size, codec, range, device) |
| `plan.py` | `plan(job)`: the job checked against the clip, output size and format decided |
| `renderer.py` | `render(job)`: decode, upscale, encode in segments, join |
| `segments.py` | segment writers and the final remux |
| `workdir.py` | the work folder and its manifest (resume) |
| `inference.py` | `Upscaler`: a window in, a frame out, with out-of-memory retries |
| `tiling.py` | tiles whose outputs line up with a whole-frame run |
| `memory.py` | memory estimate and the up-front refusal |
| `prefetch.py` | decoding and encoding on background threads |
| `control.py` | progress reports, stop and cancel |
"""
from .control import Progress, RenderCancelled, RenderControl, RenderStopped
from .job import RenderJob
from .plan import plan
from .renderer import RenderError, render

__all__ = ["Progress", "RenderCancelled", "RenderControl", "RenderStopped", "RenderJob", "plan", "RenderError",
           "render"]
