"""Encoders and stream copy, without the network: frames in, file out, read back."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from helpers.clipmaker import decoded_frames, footage, make_clip

from engine.video import probe, read_frames
from engine.video.encode import PngSequenceWriter, VideoWriter, quantise
from engine.video.passthrough import muxer_accepts

TAGS709 = dict(matrix="bt709", primaries="bt709", transfer="bt709", range="tv")


def _write(path, fmt, codec, pix_fmt, times=None, rotation=0, tags=TAGS709, size=(64, 48)):
    frames = footage(size[0], size[1], 4)
    tb = Fraction(1, 30) if times else Fraction(1, 25)
    writer = VideoWriter(path, fmt, codec, size=size, pix_fmt=pix_fmt, time_base=tb, rate=Fraction(25),
                         crf=10, tags=tags, rotation=rotation)
    for frame, pts in zip(frames, times or range(4)):
        writer.write(frame.astype(np.float32) / 255, pts)
    writer.close()
    return frames


@pytest.mark.parametrize("fmt, ext, codec, pix_fmt, decoded", [
    ("mp4", "mp4", "h264", "yuv420p", "yuv420p"),
    ("mp4", "mp4", "h265", "yuv420p10le", "yuv420p10le"),
    ("mov", "mov", "prores", "yuv422p10le", "yuv422p10le"),
    ("mov", "mov", "prores4444", "yuv444p10le", "yuv444p12le"),  # the ProRes decoder gives 12 bits
    ("matroska", "mkv", "ffv1", "yuv444p10le", "yuv444p10le"),
])
def test_writer_keeps_size_tags_depth_and_pixels(fmt, ext, codec, pix_fmt, decoded, tmp_path):
    path = tmp_path / f"out.{ext}"
    frames = _write(path, fmt, codec, pix_fmt)
    info = probe(path)
    assert (info.width, info.height, info.frame_count, info.pix_fmt) == (64, 48, 4, decoded)
    assert (info.matrix, info.primaries, info.transfer, info.range) == ("bt709", "bt709", "bt709", "tv")
    back = read_frames(info, [2])[0]
    tolerance = 0.01 if codec == "ffv1" else 0.05
    assert np.abs(back - frames[2] / 255).mean() < tolerance


@pytest.mark.parametrize("fmt, ext", [("mp4", "mp4"), ("mov", "mov"), ("matroska", "mkv")])
def test_writer_keeps_variable_timestamps_and_rotation(fmt, ext, tmp_path):
    path = tmp_path / f"vfr.{ext}"
    _write(path, fmt, "h264", "yuv420p", times=[0, 3, 4, 9], rotation=270)
    info = probe(path)
    assert info.vfr and info.rotation == 270
    assert [info.frame_time(i) for i in range(4)] == pytest.approx([0, 0.1, 4 / 30, 0.3], abs=1e-3)


def test_writer_full_range_tag(tmp_path):
    path = tmp_path / "pc.mkv"
    _write(path, "matroska", "ffv1", "yuv444p", tags=dict(TAGS709, range="pc"))
    assert probe(path).range == "pc"


def test_quantise_rounds_and_clips():
    x = np.array([[[-0.1, 0.5, 1.2]]], np.float32)
    assert quantise(x, 8).tolist() == [[[0, 128, 255]]]
    assert quantise(x, 16).dtype == np.uint16 and quantise(x, 16)[0, 0, 2] == 65535


def test_png_writer_writes_numbered_16_bit_frames_and_vfr_timestamps(tmp_path):
    writer = PngSequenceWriter(tmp_path, (64, 48), "rgb48be")
    for i, frame in enumerate(footage(64, 48, 3)):
        writer.write(frame.astype(np.float32) / 255, i * 0.1)
    writer.close(vfr=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["frame_000001.png", "frame_000002.png", "frame_000003.png", "timestamps.txt"]
    frame = decoded_frames(tmp_path / "frame_000002.png")[0]
    assert (frame.width, frame.height, frame.format.name) == (64, 48, "rgb48be")
    assert (tmp_path / "timestamps.txt").read_text().splitlines()[1:] == ["0.000", "100.000", "200.000"]


def test_muxer_acceptance_is_asked_of_ffmpeg(tmp_path):
    clip = make_clip(tmp_path / "opus.mkv", count=2, audio="libopus", subtitles=[(0, 0.05, "hi")])
    with av.open(str(clip)) as c:
        audio, subs = c.streams.audio[0], c.streams.subtitles[0]
        assert muxer_accepts("matroska", audio) and muxer_accepts("mp4", audio)
        assert not muxer_accepts("mov", audio)
        assert muxer_accepts("matroska", subs) and not muxer_accepts("mp4", subs)
