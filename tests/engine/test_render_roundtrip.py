"""Whole renders with the small SAVSR network on tiny real clips: nothing is lost on the way."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from helpers.clipmaker import audio_duration, decoded_frames, make_clip, video_timestamps

from engine.render.control import RenderCancelled, RenderControl
from engine.render.job import RenderJob
from engine.render.renderer import render
from engine.video import probe, read_frames

BT709 = dict(colorspace=1, color_primaries=1, color_trc=1, color_range=1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return dict(
        plain=make_clip(d / "plain.mp4", count=5),
        vfr=make_clip(d / "vfr.mp4", count=5, pts=[0, 3, 4, 9, 10], time_base=Fraction(1, 30)),
        rotated=make_clip(d / "rotated.mov", count=3, rotation=90),
        ten=make_clip(d / "ten.mkv", count=3, codec="libx265", pix_fmt="yuv420p10le", tags=BT709),
        extras=make_clip(d / "extras.mkv", count=3, audio="libopus", subtitles=[(0.0, 0.06, "hello")]),
    )


def run(src, out, model, **kw):
    kw.setdefault("scale_w", 2.0)
    kw.setdefault("scale_h", 2.0)
    notes = []
    result = render(RenderJob(str(src), str(out), model=str(model), device="cpu", **kw), log=notes.append)
    return result, notes


def leftovers(folder, keep=()):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_mp4_round_trip_keeps_frames_timestamps_and_audio(clips, small_model_file, tmp_path):
    out = tmp_path / "out.mp4"
    reports = []
    result = render(RenderJob(str(clips["plain"]), str(out), scale_w=1.5, scale_h=2.5, model=str(small_model_file),
                              device="cpu"), progress=reports.append)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (48, 60, 5)
    assert result.frames == 5 and result.size == (48, 60) and result.output == out
    assert video_timestamps(out) == pytest.approx(video_timestamps(clips["plain"]), abs=1e-3)
    assert audio_duration(out) == pytest.approx(audio_duration(clips["plain"]), abs=1e-3)
    assert info.audio[0].codec == "aac" and (info.matrix, info.range) == ("smpte170m", "tv")
    assert reports[-1].done == reports[-1].total == 5
    assert leftovers(tmp_path) == ["out.mp4"]


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_variable_frame_rate_survives(clips, small_model_file, tmp_path, ext):
    out = tmp_path / f"vfr.{ext}"
    run(clips["vfr"], out, small_model_file)
    assert probe(out).vfr
    assert video_timestamps(out) == pytest.approx(video_timestamps(clips["vfr"]), abs=1e-3)
    assert audio_duration(out) == pytest.approx(audio_duration(clips["vfr"]), abs=0.025)


def test_rotation_flag_survives_and_factors_follow_the_display(clips, small_model_file, tmp_path):
    out = tmp_path / "rot.mov"
    result, notes = run(clips["rotated"], out, small_model_file, scale_w=1.5, scale_h=2.0)
    info = probe(out)
    assert info.rotation == 90 and info.display_size == result.size == (36, 64)


def test_ten_bit_and_colour_tags_survive(clips, small_model_file, tmp_path):
    out = tmp_path / "ten.mp4"
    run(clips["ten"], out, small_model_file, codec="h265")
    info = probe(out)
    assert (info.codec, info.pix_fmt, info.bit_depth) == ("hevc", "yuv420p10le", 10)
    assert (info.matrix, info.primaries, info.transfer, info.range) == ("bt709", "bt709", "bt709", "tv")
    frame = decoded_frames(out)[1].to_ndarray()
    assert frame.dtype == np.uint16 and frame.max() > 255  # 10-bit samples, not 8-bit ones shifted


def test_range_render_starts_at_zero_with_trimmed_audio(clips, small_model_file, tmp_path):
    out = tmp_path / "range.mp4"
    result, _ = run(clips["plain"], out, small_model_file, start=0.08, end=0.16)
    assert result.frames == 2 and probe(out).frame_count == 2
    assert video_timestamps(out) == pytest.approx([0.0, 0.04], abs=1e-3)
    assert 0.08 <= audio_duration(out) <= 0.08 + 2 * 1024 / 48000


@pytest.mark.parametrize("count", [1, 2, 3])
def test_clips_shorter_than_a_window(small_model_file, tmp_path, count):
    src = make_clip(tmp_path / "short.mp4", count=count)
    out = tmp_path / "short_x2.mp4"
    result, _ = run(src, out, small_model_file)
    assert result.frames == count and probe(out).frame_count == count


def test_audio_the_container_refuses_is_transcoded_and_subtitles_converted(clips, small_model_file, tmp_path):
    out = tmp_path / "extras.mov"
    _, notes = run(clips["extras"], out, small_model_file)
    info = probe(out)
    assert info.audio[0].codec == "aac" and info.subtitles[0].codec == "mov_text"
    assert any("transcoded to AAC" in n for n in notes)
    assert audio_duration(out) == pytest.approx(audio_duration(clips["extras"]), abs=0.025)


def test_mkv_copies_opus_and_subtitles(clips, small_model_file, tmp_path):
    out = tmp_path / "extras.mkv"
    _, notes = run(clips["extras"], out, small_model_file, codec="ffv1")
    info = probe(out)
    assert (info.codec, info.audio[0].codec, len(info.subtitles)) == ("ffv1", "opus", 1)
    assert not any("transcoded" in n for n in notes)


def test_png_sequence_with_audio_sidecar(clips, small_model_file, tmp_path):
    out = tmp_path / "frames"
    result, _ = run(clips["rotated"], out, small_model_file, codec="png", scale_w=1.5, scale_h=2.0)
    assert leftovers(out) == ["audio.mka", "frame_000001.png", "frame_000002.png", "frame_000003.png"]
    frame = decoded_frames(out / "frame_000001.png")[0]
    assert (frame.width, frame.height) == result.size == (36, 64)  # turned upright
    assert probe(clips["rotated"]).audio and leftovers(tmp_path) == ["frames"]


def test_output_matches_the_network_on_the_decoded_frames(clips, small_model_file, tmp_path):
    """The rendered middle frame is the network's output for its window (up to the codec)."""
    import torch

    from engine.models.checkpoint import load_model
    from engine.render.frame_windows import window_indices
    out = tmp_path / "exact.mkv"
    run(clips["plain"], out, small_model_file, codec="ffv1", pix_fmt="yuv444p")
    frames = read_frames(clips["plain"], range(5))
    window = torch.stack([torch.from_numpy(frames[j]).permute(2, 0, 1) for j in window_indices(2, 5)])[None]
    with torch.no_grad():
        expected = load_model(small_model_file)(window, (2.0, 2.0))[0].clamp(0, 1).permute(1, 2, 0).numpy()
    got = read_frames(out, [2])[0]
    assert np.abs(got - expected).mean() < 2 / 255


def test_cancel_leaves_no_file(clips, small_model_file, tmp_path):
    control = RenderControl()

    def progress(p):
        if p.done >= 1:
            control.cancel()

    with pytest.raises(RenderCancelled):
        render(RenderJob(str(clips["plain"]), str(tmp_path / "cancelled.mp4"), model=str(small_model_file),
                         device="cpu", backend="torch"), progress=progress, control=control)   # frames long enough
                                                                                                  # to cancel between
    assert leftovers(tmp_path) == []


def test_failure_mid_render_leaves_no_file(small_model_file, tmp_path):
    src = make_clip(tmp_path / "src.mp4", count=6, size=(64, 48))
    data = bytearray(src.read_bytes())
    for k in range(len(data) // 3, len(data) * 2 // 3, 7):
        data[k] = (data[k] * 31 + 7) % 256
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(Exception) as err:
        render(RenderJob(str(bad), str(tmp_path / "out.mp4"), model=str(small_model_file), device="cpu"))
    assert "damaged" in str(err.value)
    assert leftovers(tmp_path) == ["damaged.mp4", "src.mp4"]


def test_disk_full_fails_with_a_message_and_leaves_nothing(clips, small_model_file, tmp_path, monkeypatch):
    from engine.render.renderer import RenderError
    from engine.video.encode import VideoWriter
    real_write = VideoWriter.write

    def write(self, rgb, pts):
        if self.frames == 2:
            raise OSError(28, "No space left on device")
        real_write(self, rgb, pts)

    monkeypatch.setattr(VideoWriter, "write", write)
    with pytest.raises(RenderError, match="could not write .*full.mp4: No space left on device"):
        run(clips["plain"], tmp_path / "full.mp4", small_model_file)
    assert leftovers(tmp_path) == []


def test_raw_stream_without_timestamps(small_model_file, tmp_path):
    import av
    from helpers.clipmaker import footage
    raw = tmp_path / "camera.h264"
    with av.open(str(raw), "w", format="h264") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
        for i, rgb in enumerate(footage(32, 24, 4)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
    assert probe(raw).synthetic_pts and probe(raw).frame_count == 4
    out = tmp_path / "camera.mp4"
    run(raw, out, small_model_file)
    assert video_timestamps(out) == pytest.approx([0, 0.04, 0.08, 0.12], abs=1e-3)


@pytest.mark.cuda
@pytest.mark.parametrize("precision", ["fp32", "fp16", "bf16"])
def test_cuda_render_matches_the_cpu_render(clips, small_model_file, tmp_path, precision):
    import torch
    if not torch.cuda.is_available():
        pytest.skip("needs an NVIDIA GPU")
    cpu, gpu = tmp_path / "cpu.mkv", tmp_path / f"{precision}.mkv"
    run(clips["plain"], cpu, small_model_file, codec="ffv1", pix_fmt="yuv444p")
    render(RenderJob(str(clips["plain"]), str(gpu), model=str(small_model_file), device="cuda:0",
                     precision=precision, codec="ffv1", pix_fmt="yuv444p", tile=32))
    a, b = read_frames(cpu, range(5)), read_frames(gpu, range(5))
    tolerance = 1.5 / 255 if precision == "fp32" else 6 / 255
    assert max(np.abs(x - y).mean() for x, y in zip(a, b)) < tolerance


def test_range_deep_in_a_clip_uses_real_neighbours_and_its_audio(small_model_file, tmp_path):
    src = make_clip(tmp_path / "long.mp4", count=75)  # 3 s
    out = tmp_path / "cut.mkv"
    result, _ = run(src, out, small_model_file, start=2.48, end=2.56, codec="ffv1", pix_fmt="yuv444p")
    assert result.frames == 2 and video_timestamps(out) == pytest.approx([0.0, 0.04], abs=1e-3)
    assert 0.08 - 0.025 <= audio_duration(out) <= 0.08 + 0.05
    full = tmp_path / "full.mkv"
    run(src, full, small_model_file, start=2.4, end=2.6, codec="ffv1", pix_fmt="yuv444p")
    # frame 62 rendered inside a wider range is the same frame: windows use the clip, not the range
    np.testing.assert_allclose(read_frames(out, [0])[0], read_frames(full, [2])[0], atol=1 / 255)
