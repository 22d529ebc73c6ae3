"""A render that cannot fit in the machine's memory is refused up front, with what would fit."""
from __future__ import annotations

import re

import pytest
import torch
from helpers.clipmaker import file_hash, make_clip

from engine.cli import main
from engine.models.checkpoint import load_model
from engine.render.job import RenderJob
from engine.render.memory import GB, MemoryRefused, check_memory, estimate_render_bytes
from engine.render.plan import plan

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def clip720(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("big") / "take.mp4", count=2, size=(1280, 720))


@pytest.fixture(scope="module")
def model(small_model_file):
    return load_model(small_model_file)


def test_refusal_says_what_is_needed_and_what_fits(clip720, model, tmp_path):
    p = plan(RenderJob(str(clip720), str(tmp_path / "out.mp4"), scale_w=4.0, scale_h=4.0))
    with pytest.raises(MemoryRefused) as err:
        check_memory(p, model, CPU, available=2 * GB)
    message = str(err.value)
    match = re.search(r"this 5120x2880 render needs about ([\d.]+) GB of memory but 2\.0 GB is free: "
                      r"outputs up to about (\d+)x(\d+) fit", message)
    assert match, message
    assert float(match[1]) > 2.0
    w, h = int(match[2]), int(match[3])
    assert 1280 < w < 5120 and abs(w / h - 16 / 9) < 0.01
    # the size it suggests does fit
    fits = plan(RenderJob(str(clip720), str(tmp_path / "out.mp4"), scale_w=None, scale_h=None, target_size=(w, h)))
    check_memory(fits, model, CPU, available=2 * GB)


def test_deeper_output_and_heavier_codec_need_more(clip720, tmp_path):
    def need(**kw):
        p = plan(RenderJob(str(clip720), str(tmp_path / "o.mkv"), scale_w=2.0, scale_h=2.0, **kw))
        return estimate_render_bytes(p, 16, 0, 0, True)

    assert need(codec="h264", pix_fmt="yuv420p10le") > need(codec="h264") > need(codec="ffv1")


def test_a_render_that_fits_is_not_refused(clip720, model, tmp_path):
    p = plan(RenderJob(str(clip720), str(tmp_path / "out.mp4"), scale_w=2.0, scale_h=2.0))
    check_memory(p, model, CPU, available=8 * GB)


def test_the_cli_refuses_before_rendering(clip720, small_model_file, tmp_path, capsys, monkeypatch):
    import engine.render.memory
    monkeypatch.setattr(engine.render.memory, "available_memory", lambda: 3 * GB)
    before = file_hash(clip720)
    out = tmp_path / "huge.mp4"
    rc = main(["upscale", str(clip720), "-o", str(out), "--scale", "4", "--model", str(small_model_file),
               "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and err.startswith("savsr: error: this 5120x2880 render needs about")
    assert "fit" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [] and file_hash(clip720) == before
