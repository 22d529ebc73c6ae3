"""probe() and decoding on short clips made from real footage."""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from helpers.clipmaker import footage, make_clip, write_audio_only, write_no_frames, write_random_bytes

from engine.errors import SavsrError
from engine.video import iter_frames, probe, read_frames
from engine.video.colour import effective_matrix, effective_range

BT709 = dict(colorspace=1, color_primaries=1, color_trc=1, color_range=1)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    return {
        "cfr": make_clip(d / "cfr.mp4", count=6, size=(64, 48)),
        "vfr": make_clip(d / "vfr.mp4", count=5, pts=[0, 3, 4, 9, 10], time_base=Fraction(1, 30)),
        "rot": make_clip(d / "rot.mov", count=3, rotation=90),
        "ten": make_clip(d / "ten.mkv", count=3, size=(64, 48), codec="libx265", pix_fmt="yuv420p10le",
                         tags=BT709, audio=None),
        "709": make_clip(d / "709.mkv", count=2, size=(64, 48), codec="ffv1", pix_fmt="yuv444p10le",
                         tags=BT709, audio=None),
        "subs": make_clip(d / "subs.mkv", count=3, audio="libopus", subtitles=[(0.0, 0.1, "hello")]),
    }


def test_probe_reads_size_rate_frames_and_audio(clips):
    info = probe(clips["cfr"])
    assert (info.width, info.height, info.frame_count) == (64, 48, 6)
    assert info.frame_rate == 25 and info.fps == pytest.approx(25)
    assert info.duration == pytest.approx(6 / 25)
    assert (info.codec, info.pix_fmt, info.bit_depth, info.vfr, info.rotation) == ("h264", "yuv420p", 8, False, 0)
    assert info.has_audio and info.audio[0].codec == "aac" and info.audio[0].channels == 2
    assert info.audio[0].duration == pytest.approx(6 / 25, abs=0.01)
    assert len(info.pts) == 6 and list(info.pts) == sorted(info.pts)


def test_probe_detects_variable_frame_rate(clips):
    info = probe(clips["vfr"])
    assert info.vfr
    times = [info.frame_time(i) for i in range(info.frame_count)]
    assert times == pytest.approx([0, 0.1, 4 / 30, 0.3, 1 / 3], abs=1e-4)


def test_probe_reads_rotation_and_display_size(clips):
    info = probe(clips["rot"])
    assert info.rotation == 90
    assert (info.width, info.height) == (32, 24) and info.display_size == (24, 32)


def test_probe_reads_ten_bit_and_colour_tags(clips):
    info = probe(clips["ten"])
    assert (info.pix_fmt, info.bit_depth) == ("yuv420p10le", 10)
    assert (info.matrix, info.primaries, info.transfer, info.range) == ("bt709", "bt709", "bt709", "tv")
    assert not info.has_audio


def test_probe_lists_subtitles(clips):
    info = probe(clips["subs"])
    assert len(info.subtitles) == 1 and info.audio[0].codec == "opus"


def test_untagged_colour_is_guessed_by_size():
    assert effective_matrix("unknown", 1920, 1080) == "bt709"
    assert effective_matrix("unknown", 720, 576) == "smpte170m"
    assert effective_matrix("bt2020nc", 64, 48) == "bt2020nc"
    assert effective_range("unknown", "yuv420p") == "tv"
    assert effective_range("unknown", "yuvj420p") == "pc"


def test_decoding_uses_the_clips_own_matrix(clips):
    """A BT.709 clip decoded as BT.709 matches the footage; decoded as BT.601 it does not."""
    info = probe(clips["709"])
    truth = footage(64, 48, 2)[1].astype(np.float32) / 255
    right = read_frames(info, [1])[0]
    wrong = read_frames(dataclasses.replace(info, matrix="smpte170m"), [1])[0]
    err_right, err_wrong = np.abs(right - truth).max(), np.abs(wrong - truth).max()
    assert err_right < 1.5 / 255
    assert err_wrong > 4 / 255


def test_ten_bit_frames_keep_more_than_eight_bits(clips):
    rgb = read_frames(clips["ten"], [0])[0]
    assert rgb.dtype == np.float32 and rgb.shape == (48, 64, 3)
    off_grid = np.abs(rgb * 255 - np.round(rgb * 255)) > 0.05
    assert off_grid.mean() > 0.3  # 8-bit data would sit on the 1/255 grid


def test_read_frames_random_access_matches_sequential(clips):
    info = probe(clips["cfr"])
    sequential = [d.rgb for d in iter_frames(info)]
    assert len(sequential) == 6
    picked = read_frames(info, [5, 1, 1, 3])
    for got, i in zip(picked, [5, 1, 1, 3]):
        np.testing.assert_array_equal(got, sequential[i])
    with pytest.raises(IndexError):
        read_frames(info, [6])


def _write_truncated(path, clips):
    data = clips["cfr"].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case, message", [
    ("missing", "input file not found"),
    ("folder", "is a folder, not a video file"),
    ("empty", "input file is empty"),
    ("random", "not a video, or a damaged or incomplete file"),
    ("audio", "has no video stream (it holds only audio)"),
    ("image", "is a still image, not a video"),
    ("no_frames", "has no video frames"),
    ("truncated", "damaged or incomplete"),
])
def test_probe_refuses_bad_input_with_a_message(case, message, clips, footage_dir, tmp_path):
    path = {
        "missing": lambda: tmp_path / "nope.mp4",
        "folder": lambda: tmp_path,
        "empty": lambda: (tmp_path / "empty.mp4").open("w").close() or tmp_path / "empty.mp4",
        "random": lambda: write_random_bytes(tmp_path / "random.mp4", 4096, seed=0),
        "audio": lambda: write_audio_only(tmp_path / "audio.m4a"),
        "image": lambda: footage_dir / "001.png",
        "no_frames": lambda: write_no_frames(tmp_path / "none.mkv", audio=True),
        "truncated": lambda: _write_truncated(tmp_path / "cut.mp4", clips),
    }[case]()
    with pytest.raises(SavsrError, match=message.replace("(", r"\(").replace(")", r"\)")):
        probe(path)
