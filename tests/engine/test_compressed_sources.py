"""Compressed sources: the codec round trip of training, `savsr eval --degrade`, and fine-tuning that
re-encodes like the user's clip. Real footage: the bundled sample's frames."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers.clipmaker import footage, make_clip

from engine.cli import main as cli_main
from engine.errors import SavsrError
from engine.evaluation.metrics import psnr_y
from engine.train.data import BatchSampler, Clip, ScaleRange
from engine.train.degrade import CodecSpec, Degradation, codec_round_trip, deblock_frames, degrade_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def real_frames(width=128, height=72, count=7) -> np.ndarray:
    return np.stack(footage(width, height, count))


def as_float(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0


def test_codec_round_trip_leaves_real_artifacts_that_grow_with_the_crf():
    clean = real_frames()
    scores = {crf: psnr_y(as_float(codec_round_trip(clean, CodecSpec("h264", crf))), as_float(clean))
              for crf in (12.0, 28.0, 38.0)}
    assert scores[12.0] > scores[28.0] > scores[38.0]
    assert 24 < scores[28.0] < 42           # visibly degraded, still the same pictures
    h265 = codec_round_trip(clean, CodecSpec("h265", 28.0, "fast"))
    assert h265.shape == clean.shape and not np.array_equal(h265, clean)


def test_degradation_is_drawn_from_the_seed():
    lr = as_float(real_frames(64, 64))
    deg = Degradation(clean=0.0)
    a = deg.apply(lr, torch.Generator().manual_seed(5))
    b = deg.apply(lr, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.equal(a, lr)
    assert torch.equal(Degradation(clean=1.0).apply(lr, torch.Generator().manual_seed(5)), lr)


def test_sampler_trains_on_one_quadrant_of_an_encoded_region():
    clip = Clip("sample", torch.from_numpy(real_frames(320, 180, 12)).permute(0, 3, 1, 2).contiguous())
    sampler = BatchSampler([clip], ScaleRange(1.0, 2.5), patch=16, batch=3, degradation=Degradation(clean=0.0))
    lr, gt, scale = sampler.draw(0, torch.Generator().manual_seed(1))
    assert lr.shape == (3, 7, 3, 16, 16)
    assert gt.shape == (3, 3, round(16 * scale[0]), round(16 * scale[1]))
    lr2, gt2, _ = sampler.draw(0, torch.Generator().manual_seed(1))
    assert torch.equal(lr, lr2) and torch.equal(gt, gt2)
    assert sampler.describe()["degradation"]["clean"] == 0.0


@pytest.mark.parametrize("text, message", [("h264:abc", "must be a number"), ("vp9:30", "unknown degradation"),
                                           ("h264:60", "between 0 and 51"), ("h264:28:warp", "unknown preset")])
def test_codec_spec_errors_are_one_sentence(text, message):
    with pytest.raises(SavsrError, match=message):
        CodecSpec.parse(text)


def test_deblock_filter_smooths_block_edges():
    frames = degrade_frames(real_frames(), CodecSpec("h264", 36.0))
    smoothed = deblock_frames(frames)
    assert smoothed.shape == frames.shape and not np.array_equal(smoothed, frames)


@pytest.fixture(scope="module")
def septuplet(tmp_path_factory):
    import av
    folder = tmp_path_factory.mktemp("frames") / "bunny"
    folder.mkdir()
    for i, frame in enumerate(footage(192, 108, 7), 1):
        with av.open(str(folder / f"im{i}.png"), "w", format="image2") as out:
            s = out.add_stream("png")
            s.width, s.height, s.pix_fmt = 192, 108, "rgb24"
            out.mux(s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            out.mux(s.encode(None))
    return folder


def eval_json(args, capsys) -> dict:
    assert cli_main(["eval", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_degrade_scores_codec_input_with_flicker_and_the_deblock_baseline(septuplet, small_model_file, capsys):
    clean = eval_json([str(septuplet), "--model", str(small_model_file), "--scales", "2"], capsys)["results"][0]
    coded = eval_json([str(septuplet), "--model", str(small_model_file), "--scales", "2", "--degrade", "h264:33"],
                      capsys)["results"][0]
    assert clean["degrade"] == "none" and clean["model_tpsnr"] is None
    assert coded["degrade"] == "h264:33"
    assert coded["bicubic_psnr"] < clean["bicubic_psnr"] - 0.5      # the codec costs bicubic too
    assert 10 < coded["model_tpsnr"] < 60 and 10 < coded["bicubic_tpsnr"] < 60
    assert 10 < coded["baseline_psnr"] < 60                          # deblock filter, then the clean model


def test_eval_degrade_flag_error_is_one_line(septuplet, capsys):
    assert cli_main(["eval", str(septuplet), "--degrade", "h264:high"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CRF must be a number" in err[0]


def test_finetune_degradation_matches_the_clips_codec_and_bits(tmp_path):
    from engine.train.matching import match_footage
    clip = make_clip(tmp_path / "phone.mp4", count=12, size=(320, 180), audio=None)
    matched = match_footage([clip], scale=2.0)
    assert matched.degradation["codecs"] == ["h264"]
    low, high = matched.degradation["crf"]
    assert high - low == 4 and 0 <= low < high <= 51
    assert matched.validation.startswith("h264:") and "bits per pixel" in matched.note
    assert match_footage([tmp_path], setting="match").degradation is None      # a folder: clean
    assert match_footage([clip], setting="none").degradation is None
    assert match_footage([clip], setting="h265:30").validation == "h265:30"


def test_finetune_command_reports_and_stores_the_matched_codec(tmp_path, small_model_file, capsys):
    from engine import load_model
    clip = make_clip(tmp_path / "phone.mp4", count=12, size=(96, 64), audio=None)
    out = tmp_path / "tuned.safetensors"
    code = cli_main(["finetune", str(clip), "-o", str(out), "--base", str(small_model_file), "--steps", "2",
                     "--minutes", "5", "--patch", "12", "--batch", "2"])
    assert code == 0
    meta = load_model(out).metadata
    assert "LR re-encoded like phone.mp4: h264" in meta["degradation"]
    # the user is told that a fine-tune learns the clip's own artifacts
    assert "caution: phone.mp4 is compressed: h264" in capsys.readouterr().out


def test_footage_facts_say_which_clips_carry_codec_artifacts(auto_clips):
    from engine.train.finetune_checks import compressed_caution, footage_facts
    facts = {name: footage_facts(path) for name, path in auto_clips.items()}
    assert facts["h264_28.mp4"].artifacts == "h264 (x264 at CRF 28)"
    assert "the pictures show compression artifacts" in facts["prores_from_h264.mov"].artifacts
    assert facts["clean.mkv"].artifacts == facts["h264_12.mp4"].artifacts == ""
    assert compressed_caution([facts["clean.mkv"], facts["h264_12.mp4"]]) == ""
    both = compressed_caution([facts["clean.mkv"], facts["h264_28.mp4"], facts["h265_30.mkv"]])
    assert both.startswith("2 of the clips are compressed (h264_28.mp4: h264 (x264 at CRF 28)).")


def write_clip(path, frames: np.ndarray, codec: str, pix_fmt: str, options: dict | None = None):
    import av
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25, options=options or {})
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        for f in frames:
            out.mux(s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")))
        out.mux(s.encode(None))
    return path


# (file, how it was made) -> the model auto must pick. "clean" frames: the sample's frames area-halved
# (160x90), where its own light compression is gone.
AUTO_CASES = {
    "the bundled sample": ("sample", "compressed", "x264 at CRF 18"),
    "H.264 CRF 28": ("h264_28.mp4", "compressed", "x264 at CRF 28"),
    "H.265 CRF 30": ("h265_30.mkv", "compressed", "x265 at CRF 30"),
    "H.264 CRF 28 made ProRes": ("prores_from_h264.mov", "compressed", "the pictures show compression artifacts"),
    "H.264 CRF 12 master": ("h264_12.mp4", "clean", "high-quality master"),
    "FFV1": ("clean.mkv", "clean", "no compression artifacts"),
    "ProRes of clean frames": ("prores_clean.mov", "clean", "no compression artifacts"),
}


@pytest.fixture(scope="module")
def auto_clips(tmp_path_factory):
    from engine.resources import sample_clip_path
    folder = tmp_path_factory.mktemp("auto")
    clean = real_frames(160, 90, 16)
    return {
        "sample": sample_clip_path(),
        "h264_28.mp4": write_clip(folder / "h264_28.mp4", clean, "libx264", "yuv420p", {"crf": "28"}),
        "h265_30.mkv": write_clip(folder / "h265_30.mkv", clean, "libx265", "yuv420p",
                                  {"crf": "30", "x265-params": "log-level=error"}),
        "prores_from_h264.mov": write_clip(folder / "prores_from_h264.mov",
                                           degrade_frames(clean, CodecSpec("h264", 28.0)),
                                           "prores_ks", "yuv422p10le", {"profile": "3"}),
        "h264_12.mp4": write_clip(folder / "h264_12.mp4", clean, "libx264", "yuv420p", {"crf": "12"}),
        "clean.mkv": write_clip(folder / "clean.mkv", clean, "ffv1", "yuv444p"),
        "prores_clean.mov": write_clip(folder / "prores_clean.mov", clean, "prores_ks", "yuv422p10le",
                                       {"profile": "3"}),
    }


@pytest.mark.parametrize("case", list(AUTO_CASES))
def test_auto_picks_the_model_for_the_footage(case, auto_clips):
    from engine.models.choice import bundled_model, choose_model
    from engine.video import probe
    if bundled_model("compressed") is None:
        pytest.fail("the compressed model is not installed in resources/models")
    name, expected, why = AUTO_CASES[case]
    choice = choose_model("auto", probe(auto_clips[name]))
    assert choice.name == expected, choice.describe()
    assert why in choice.reason and choice.path == bundled_model(expected)


def test_models_by_name_and_their_errors(tmp_path):
    from engine import load_model
    from engine.models.choice import choose_model
    assert load_model("compressed").metadata["choice"] == "compressed"
    assert load_model("clean").metadata["name"] == "savsr_studio_default"
    from engine.resources import sample_clip_path
    assert load_model("auto", clip=str(sample_clip_path())).metadata["choice"].startswith("compressed (auto: ")
    with pytest.raises(SavsrError, match="use auto, clean, compressed or a model file"):
        choose_model(tmp_path / "missing.safetensors")


def test_compression_score_separates_clean_and_coded_real_frames():
    from engine.models.artifacts import compression_score
    half = real_frames(160, 90, 4)
    assert compression_score(half) < 0.3
    assert compression_score(degrade_frames(half, CodecSpec("h264", 33.0))) > 0.7
