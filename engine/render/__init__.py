"""Rendering a clip: plan the job, stream its frames through the network in tiles, write and join
segments in a resumable work folder.

| module | what it does |
| --- | --- |
| `job.py` | `RenderJob`: what the user asked for (input, output, scale or size, codec, range, device) |
| `plan.py` | `plan(job)`: the job checked against the clip, output size and format decided |
| `archive.py` | archive footage in a plan: deinterlacing, pixel aspect, timecode, codec limits |
| `renderer.py` | `render(job)`: plan, work folder, segments in this process or in workers, join |
| `stream.py` | the frame loop of one segment: decode with context, upscale each window, write |
| `frame_windows.py` | streaming 7-frame windows with reflection at the clip's ends |
| `segments.py` | segment writers and the final remux |
| `workdir.py` | the work folder and its manifest (resume) |
| `compute.py` | the backend and precision of a render, settled once for every worker and a resume |
| `placement.py` | how many worker processes, threads each, on which devices |
| `workers.py` | segments in crash-isolated worker processes |
| `cluster.py` | segments as Ray tasks on several machines |
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
