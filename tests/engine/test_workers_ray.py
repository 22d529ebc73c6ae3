"""A render on a local Ray instance (``--cluster local``) writes the frames of a one-process render
and records its segments like a local one. Needs the ``cluster`` extra; skipped without it."""
from __future__ import annotations

import hashlib
import importlib.util

import av
import pytest
from helpers.clipmaker import make_clip

from engine.render.job import RenderJob
from engine.render.placement import Placement
from engine.render.renderer import render

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread"),
              pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                 reason="Ray is not installed (pip install 'savsr-studio[cluster]')")]


def frame_hashes(path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def test_a_local_ray_cluster_renders_the_frames_of_one_process(small_model_file, tmp_path):
    src = make_clip(tmp_path / "clip.mp4", count=10, size=(48, 32))
    job = RenderJob(str(src), str(tmp_path / "one.mkv"), codec="ffv1", model=str(small_model_file), device="cpu",
                    backend="torch")
    render(job, segment_frames=4)
    notes = []
    result = render(job.replace(output=str(tmp_path / "ray.mkv")), log=notes.append, segment_frames=4,
                    placement=Placement(threads=1), cluster="local")
    assert result.frames == 10
    assert any("Ray tasks" in n for n in notes)
    assert frame_hashes(tmp_path / "ray.mkv") == frame_hashes(tmp_path / "one.mkv")
