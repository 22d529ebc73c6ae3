"""A damaged cached graph is prepared again, and the frames stay exactly those of an undamaged render.

The app's preview computes in the app's process on its own thread count and may meet the damaged cache
first; a render that then finds the graph it prepared must still compute as a render at its own thread
count computes (OpenVINO keeps the thread count inside a compiled blob, and its results depend on it).
FFV1 in 16 bits (a last-bit difference of the network shows in every frame; in 8 bits in a few), one thread
per render: frames compared bit for bit."""
from __future__ import annotations

import hashlib

import av
import pytest
import torch
from helpers.clipmaker import make_clip

from engine.backends import Accelerated, cache
from engine.backends.runtimes import RUNTIMES
from engine.models.checkpoint import load_model
from engine.render.job import RenderJob
from engine.render.placement import Placement
from engine.render.renderer import render

SIZE = (144, 80)        # w, h: the frame is one tile


def frame_hashes(path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def damage(folder):
    """Every exported and compiled graph file overwritten with bytes of the same length (the JSON records
    of checks stay, as after a crash while writing or a bad disk)."""
    hit = [f for f in (folder / "graphs").rglob("*") if f.is_file() and f.suffix != ".json"]
    for f in hit:
        f.write_bytes(bytes(reversed(f.read_bytes())))
    return hit


def test_frames_after_a_damaged_graph_was_prepared_again_at_another_thread_count_are_unchanged(
        small_model_file, tmp_path, monkeypatch):
    if not RUNTIMES["openvino"].installed():
        pytest.skip("OpenVINO is not installed")
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path / "cache"))
    clip = make_clip(tmp_path / "clip.mp4", count=3, size=SIZE, audio=None)
    job = RenderJob(str(clip), "", scale_w=2.0, scale_h=2.0, codec="ffv1", model=str(small_model_file), device="cpu",
                    backend="openvino", precision="fp32", overwrite=True, pix_fmt="yuv444p16le")
    one_thread = Placement(threads=1)
    render(job.replace(output=str(tmp_path / "undamaged.mkv")), placement=one_thread)
    assert damage(tmp_path / "cache")

    threads = torch.get_num_threads()       # the preview meets the damage first, on the app's threads
    torch.set_num_threads(2)
    try:
        notes = []
        preview = Accelerated(load_model(small_model_file, torch.device("cpu")), "openvino", precision="fp32",
                              note=notes.append)
        preview.prepare(SIZE[1], SIZE[0])
    finally:
        torch.set_num_threads(threads)
    assert preview.backend == "openvino" and any("preparing it again" in n for n in notes), notes
    assert cache.any_size_graph(preview.digest(), (7, SIZE[1], SIZE[0])).is_file()

    notes = []
    render(job.replace(output=str(tmp_path / "after.mkv")), placement=one_thread, log=notes.append)
    assert any(n.startswith("computing on CPU · OpenVINO fp32") for n in notes), notes
    assert frame_hashes(tmp_path / "after.mkv") == frame_hashes(tmp_path / "undamaged.mkv")
