"""``savsr info`` and ``savsr eval``."""
from __future__ import annotations

import json
import shutil

import pytest
from helpers.clipmaker import make_clip

from engine.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_info_describes_streams_colour_and_rotation(tmp_path, capsys):
    clip = make_clip(tmp_path / "phone.mov", count=3, rotation=90, tags=dict(colorspace=1, color_range=1))
    assert main(["info", str(clip)]) == 0
    out = capsys.readouterr().out
    assert "size       32x24, shown as 24x32" in out
    assert "frames     3" in out and "25.000 fps" in out
    assert "matrix bt709" in out and "rotation   90 degrees" in out
    assert "audio      #1 aac, 48000 Hz, stereo" in out


def test_info_json(tmp_path, capsys):
    clip = make_clip(tmp_path / "a.mkv", count=2, subtitles=[(0, 0.04, "hi")])
    assert main(["info", str(clip), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["width"], d["height"], d["frame_count"], d["vfr"]) == (32, 24, 2, False)
    assert d["audio"][0]["codec"] == "aac" and len(d["subtitles"]) == 1 and "pts" not in d


def test_info_says_when_a_file_is_cut_short(tmp_path, capsys):
    whole = make_clip(tmp_path / "whole.mkv", count=60)          # 2.4 s
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    assert main(["info", str(whole)]) == 0
    assert "cut short" not in capsys.readouterr().out
    assert main(["info", str(cut)]) == 0
    assert "(the header says 2.4" in capsys.readouterr().out
    assert main(["info", str(cut), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cut_short"] is True


def test_info_on_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "x.mp4"
    bad.write_bytes(b"\0" * 100)
    assert main(["info", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("savsr: error: cannot read x.mp4")


def septuplet(footage_dir, folder):
    """Seven real frames in a folder, laid out like one Vimeo-90K septuplet."""
    folder.mkdir()
    for i, frame in enumerate(sorted(footage_dir.glob("*.png"))[:7], 1):
        shutil.copy(frame, folder / f"im{i}.png")
    return folder


def test_eval_prints_model_and_bicubic_per_scale(small_model_file, footage_dir, tmp_path, capsys):
    clip = septuplet(footage_dir, tmp_path / "0001")
    rc = main(["eval", str(clip), "--scales", "2", "1.5x3", "--model", str(small_model_file),
               "--device", "cpu", "--max-frames", "2", "--crop", "40x40"])
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "model parity-small (test); 1 clip(s), 2 frames"
    assert lines[1].split()[:3] == ["scale", "(w", "x"]
    assert lines[2].startswith("x2 x x2") and lines[3].startswith("x1.5 x x3")
    bicubic = float(lines[2].split()[5])
    assert 25 < bicubic < 60  # a real PSNR in dB for x2 bicubic on real footage


def test_eval_json_matches_the_protocol_functions(small_model_file, footage_dir, tmp_path, capsys):
    import torch

    from engine.evaluation.benchmark import load_clip
    from engine.evaluation.metrics import bicubic_upsample, crop_to_step, downsample, psnr_y
    clip = septuplet(footage_dir, tmp_path / "0001")
    assert main(["eval", str(clip), "--scales", "2.5x2", "--model", str(small_model_file), "--device", "cpu",
                 "--max-frames", "1", "--crop", "40x30", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert (result["scale_w"], result["scale_h"]) == (2.5, 2.0)
    gt = crop_to_step(load_clip(clip, 1, (40, 30)).float() / 255, (2.0, 2.5))
    lr = downsample(gt, (2.0, 2.5))
    expected = psnr_y(bicubic_upsample(lr, gt.shape[-2:])[0], gt[0])
    assert result["bicubic_psnr"] == pytest.approx(expected)
    assert set(result["per_clip"]) == {"0001"} and result["per_clip"]["0001"]["frames"] == 1
    assert torch.isfinite(torch.tensor(result["model_psnr"]))


def test_eval_refuses_bad_scales_and_empty_folders(tmp_path, capsys):
    assert main(["eval", str(tmp_path), "--scales", "5"]) == 1
    assert "factors must be between 1 and 4" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--scales", "2"]) == 1
    assert "no image frames" in capsys.readouterr().err
