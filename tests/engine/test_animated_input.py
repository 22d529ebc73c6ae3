"""Animated GIF and APNG files are clips; a single-frame image is still refused (issue 16, item 6)."""
from __future__ import annotations

from fractions import Fraction

import av
import pytest
from helpers.clipmaker import footage, video_timestamps

from engine.cli import main
from engine.video import probe
from engine.video.probe import InputError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DELAYS = (10, 10, 20, 10, 30)      # hundredths of a second, as GIF stores them: 0.8 s in all


def write_animation(path, fmt: str, codec: str, pix_fmt: str, delays=DELAYS, size=(24, 16)):
    """The sample's real frames as an animation in which frame ``k`` lasts ``delays[k]`` hundredths."""
    frames = footage(size[0], size[1], len(delays))
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=100)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], pix_fmt
        stream.time_base = Fraction(1, 100)
        t = 0
        for rgb, delay in zip(frames, delays):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            frame.pts, frame.time_base = t, Fraction(1, 100)
            for packet in stream.encode(frame):
                packet.duration = delay
                out.mux(packet)
            t += delay
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    return write_animation(tmp_path_factory.mktemp("gif") / "loop.gif", "gif", "gif", "rgb8")


def test_animated_gif_is_a_clip(gif):
    info = probe(gif)
    assert info.frame_count == len(DELAYS)
    assert info.duration == pytest.approx(sum(DELAYS) / 100, abs=0.011)


def test_animated_apng_is_a_clip(tmp_path):
    info = probe(write_animation(tmp_path / "loop.apng", "apng", "apng", "rgb24"))
    assert info.frame_count == len(DELAYS)


@pytest.mark.parametrize("fmt, codec, pix_fmt, name", [("gif", "gif", "rgb8", "one.gif"),
                                                       ("apng", "apng", "rgb24", "one.png")])
def test_single_frame_image_is_still_refused(fmt, codec, pix_fmt, name, tmp_path):
    path = write_animation(tmp_path / name, fmt, codec, pix_fmt, delays=(10,))
    with pytest.raises(InputError, match=f"{name} is a still image, not a video"):
        probe(path)


def test_animated_webp_says_why(tmp_path):
    path = write_animation(tmp_path / "loop.webp", "webp", "libwebp_anim", "yuv420p")
    with pytest.raises(InputError, match="loop.webp is an animated WebP, which FFmpeg cannot decode"):
        probe(path)


def test_animated_gif_renders_with_its_frames_and_timing(gif, small_model_file, tmp_path):
    out = tmp_path / "loop_x2.mp4"
    assert main(["upscale", str(gif), "-o", str(out), "--scale", "2", "--model", str(small_model_file),
                 "--backend", "torch", "--device", "cpu", "-q"]) == 0
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (48, 32, len(DELAYS))
    starts = [t - video_timestamps(out)[0] for t in video_timestamps(out)]
    assert starts == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.5], abs=0.011)
