"""A render's notes also arrive as events (engine.render.events): a kind and its fields, so the app acts
on what happened rather than on the words of a message, in one process and from worker processes."""
from __future__ import annotations

import pytest
from helpers.clipmaker import make_clip

from engine.render import events
from engine.render.job import RenderJob
from engine.render.placement import Placement
from engine.render.renderer import render

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("placement", [Placement(threads=1), Placement(workers=2, threads=1)],
                         ids=["one process", "two workers"])
def test_every_note_is_an_event_and_what_computes_the_render_is_one_with_its_words(placement, small_model_file,
                                                                                   tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", count=8, size=(48, 32))
    job = RenderJob(str(clip), str(tmp_path / "out.mkv"), scale_w=2.0, scale_h=1.5, codec="ffv1",
                    model=str(small_model_file), device="cpu", backend="torch", precision="fp32")
    seen = []
    result = render(job, events=seen.append, segment_frames=4, placement=placement)
    assert [e["text"] for e in seen] == list(result.notes)
    assert all(set(e) >= {"kind", "text"} for e in seen)
    (computing,) = [e for e in seen if e["kind"] == events.COMPUTING]
    assert computing["words"] == "CPU · PyTorch fp32" and computing["text"].startswith("computing on CPU · PyTorch")
    if placement.workers:       # the workers' notes came through the parent, each once
        assert any(e["kind"] == events.NOTE and "2 worker processes" in e["text"] for e in seen)
