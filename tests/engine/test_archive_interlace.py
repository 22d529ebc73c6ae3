"""Interlaced input: combing found (flags or not), bwdif at field or frame rate, timestamps right.

The interlaced clips are woven from real progressive frames: frame ``2k`` in the first field and
``2k + 1`` in the second, from the part of the sample where something moves.
"""
from __future__ import annotations

import numpy as np
import pytest
from helpers.clipmaker import MOTION, footage, make_clip, make_woven_clip, video_timestamps, weave

from engine.cli import main
from engine.video import colour, deinterlace, interlace, probe
from engine.video.decode import iter_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SIZE = (160, 96)  # interlaced H.264 needs a height divisible by 4


def _combing(frames) -> float:
    return float(np.mean([interlace.combing(colour.luma(f)) for f in frames]))


def _progressive(count):
    return [f / 255.0 for f in footage(*SIZE, MOTION + count)[MOTION:]]


@pytest.fixture(scope="module")
def woven(tmp_path_factory):
    return make_woven_clip(tmp_path_factory.mktemp("interlaced") / "tape.mp4", count=3, size=SIZE)


def test_weaving_combs_real_footage():
    frames = footage(*SIZE, MOTION + 6)[MOTION:]
    woven = [weave(frames[2 * k], frames[2 * k + 1]) / 255.0 for k in range(3)]
    assert _combing(woven) > 1.4 * _combing(_progressive(6)[0::2])


@pytest.mark.parametrize("flagged, tff", [(True, True), (False, False)])
def test_detects_combing_with_or_without_the_flag(flagged, tff, tmp_path):
    src = make_woven_clip(tmp_path / "w.mkv", count=4, size=SIZE, flagged=flagged, tff=tff)
    found = interlace.detect(probe(src))
    assert found.flagged == flagged and found.combed and found.top_field_first == tff


def test_progressive_footage_is_not_combed(tmp_path):
    src = make_clip(tmp_path / "p.mp4", count=8, size=SIZE, audio=None)
    assert not interlace.detect(probe(src)).combed


def test_field_view_doubles_frames_and_rate(woven):
    info = probe(woven)
    view = deinterlace.view(info, "field", True)
    frames = list(iter_frames(view))
    assert view.frame_count == len(frames) == 6 and view.frame_rate == 50
    assert [round(view.frame_time(d.index), 4) for d in frames] == [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]
    tail = list(iter_frames(view, 3, 6))  # a resumed render decodes from the middle: the same frames
    assert [d.index for d in tail] == [3, 4, 5]
    assert all(np.array_equal(d.rgb, frames[d.index].rgb) for d in tail)


def test_field_rate_render_removes_the_comb(woven, small_model_file, tmp_path, capsys):
    out = tmp_path / "fields.mkv"
    rc = main(["upscale", str(woven), "-o", str(out), "--scale", "1", "--deinterlace", "field", "--codec", "ffv1",
               "--model", str(small_model_file), "--backend", "torch", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "deinterlaced with bwdif, top field first: one frame per field, 50 fps (6 frames from 3)" in err
    info = probe(out)
    assert (info.frame_count, info.frame_rate, info.interlaced) == (6, 50, False)
    assert video_timestamps(out) == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08, 0.1], abs=1e-6)
    progressive = _combing(_progressive(6))
    assert _combing([d.rgb for d in iter_frames(probe(woven))]) > 1.4 * progressive  # what 'off' would upscale
    assert _combing([d.rgb for d in iter_frames(info)]) < 1.1 * progressive


def test_auto_says_what_it_did(woven, small_model_file, tmp_path, capsys):
    out = tmp_path / "auto.mp4"
    rc = main(["upscale", str(woven), "-o", str(out), "--scale", "1", "--end", "0.04",
               "--model", str(small_model_file), "--backend", "torch", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "deinterlaced with bwdif, top field first (flagged interlaced and combed, measure" in err
    assert "one frame per frame, 25 fps" in err and probe(out).frame_count == 1


def test_unknown_mode_is_one_line(woven, small_model_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["upscale", str(woven), "-o", str(tmp_path / "o.mp4"), "--scale", "1", "--deinterlace", "fields"])
    assert "invalid choice: 'fields'" in capsys.readouterr().err


def test_info_shows_the_field_order(woven, capsys):
    assert main(["info", str(woven)]) == 0
    assert "(8-bit), interlaced (top field first)" in capsys.readouterr().out
