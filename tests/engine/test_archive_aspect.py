"""Pixel aspect: non-square SD sources come out with square pixels, factors in display terms.

A 16:9 PAL clip stores its picture in 720x576 pixels of 64:45; a disc drawn round on the picture
is an ellipse in the stored pixels and must be round again in the output.
"""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from helpers.clipmaker import footage, make_tagged_clip

from engine.cli import main
from engine.render.job import RenderJob
from engine.render.plan import plan
from engine.video import probe

pytestmark = pytest.mark.usefixtures("one_torch_thread")
MAGENTA = np.array([255, 0, 255], np.float32)


def draw_disc(rgb: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """``rgb`` with a magenta ellipse (anti-aliased: 4x4 samples a pixel) of radii ``rx``, ``ry``."""
    h, w, _ = rgb.shape
    sub = (np.arange(4) + 0.5) / 4
    ys = (np.arange(h)[:, None] + sub[None, :]).reshape(-1)
    xs = (np.arange(w)[:, None] + sub[None, :]).reshape(-1)
    inside = ((xs[None, :] - cx) / rx) ** 2 + ((ys[:, None] - cy) / ry) ** 2 <= 1
    cover = inside.reshape(h, 4, w, 4).mean(axis=(1, 3))[..., None]
    return (rgb * (1 - cover) + MAGENTA * cover).round().astype(np.uint8)


def disc_axes(rgb: np.ndarray) -> tuple[float, float]:
    """Width and height of the magenta disc, from the second moments of how magenta each pixel is."""
    rgb = rgb.astype(np.float32) * (255 / rgb.max() if rgb.max() <= 1 else 1)
    weight = np.clip(1 - np.abs(rgb - MAGENTA).sum(axis=2) / 255, 0, 1)
    weight[weight < 0.2] = 0
    ys, xs = np.indices(weight.shape)
    total = weight.sum()
    mx, my = (weight * xs).sum() / total, (weight * ys).sum() / total
    vx, vy = (weight * (xs - mx) ** 2).sum() / total, (weight * (ys - my) ** 2).sum() / total
    return 4 * np.sqrt(vx), 4 * np.sqrt(vy)  # a filled ellipse: variance = radius^2 / 4


def anamorphic_frame(width: int, height: int, sar: Fraction) -> np.ndarray:
    """A real frame shown at ``width * sar`` x ``height`` with a round disc, squeezed into ``width`` pixels."""
    shown = round(width * sar)
    picture = footage(shown, height, 1)[0].astype(np.float32)
    r = height / 4
    picture = draw_disc(picture, shown / 2, height / 2, r, r)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    return frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_ndarray()


@pytest.fixture(scope="module")
def pal_wide(tmp_path_factory):
    """16:9 PAL at a quarter of the size (180x144, 64:45): the factors to 480x270 are those of 720x576 -> 1920x1080."""
    sar = Fraction(64, 45)
    rgb = anamorphic_frame(180, 144, sar)
    return make_tagged_clip(tmp_path_factory.mktemp("pal") / "pal_wide.mov", frames=[rgb], sample_aspect=sar,
                            pix_fmt="yuv444p")


def test_the_disc_is_an_ellipse_in_stored_pixels(pal_wide):
    from engine.video.decode import read_frames
    w, h = disc_axes(read_frames(pal_wide, [0])[0])
    assert w / h == pytest.approx(45 / 64, rel=0.02)


def test_pal_wide_to_1080_shape_is_round_and_square(pal_wide, small_model_file, tmp_path, capsys):
    out = tmp_path / "square.mov"
    rc = main(["upscale", str(pal_wide), "-o", str(out), "--size", "480x270", "--model", str(small_model_file),
               "--backend", "torch", "--device", "cpu", "--codec", "prores4444"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "pixel aspect 64:45 (16:9 picture) made square: 2.667 x 1.875 in one pass, output tagged 1:1" in err
    info = probe(out)
    assert (info.width, info.height, info.sample_aspect) == (480, 270, 1)
    from engine.video.decode import read_frames
    w, h = disc_axes(read_frames(out, [0])[0])
    assert w / h == pytest.approx(1.0, rel=0.01)


def test_keep_pixel_aspect_keeps_the_tag(pal_wide, small_model_file, tmp_path, capsys):
    out = tmp_path / "kept.mkv"
    rc = main(["upscale", str(pal_wide), "-o", str(out), "--scale", "1", "--keep-pixel-aspect", "-q",
               "--model", str(small_model_file), "--backend", "torch", "--device", "cpu"])
    assert rc == 0, capsys.readouterr().err
    info = probe(out)
    assert (info.width, info.height, info.sample_aspect) == (180, 144, Fraction(64, 45))


def _sd(tmp_path, size, sar=None):
    return make_tagged_clip(tmp_path / f"sd_{size[0]}x{size[1]}.mp4", count=1, size=size, sample_aspect=sar)


@pytest.mark.parametrize("preset, size, scale, out, factors", [
    ("pal-wide", (720, 576), 1.875, (1920, 1080), (2.6667, 1.875)),
    ("pal", (720, 576), 1.875, (1440, 1080), (2.0, 1.875)),
    ("ntsc-dv", (720, 480), 2.25, (1440, 1080), (2.0, 2.25)),
    ("ntsc-dv-wide", (720, 480), 2.25, (1920, 1080), (2.6667, 2.25)),
    ("ntsc-wide", (720, 486), 2.0, (1728, 972), (2.4, 2.0)),
])
def test_presets_name_untagged_sd_sources(preset, size, scale, out, factors, tmp_path):
    src = _sd(tmp_path, size)
    p = plan(RenderJob(str(src), str(tmp_path / "o.mov"), scale_w=scale, scale_h=scale, pixel_aspect=preset),
             check_output=False)
    assert p.out_size == out and p.sample_aspect == 1
    assert (p.scale[1], p.scale[0]) == pytest.approx(factors, abs=1e-3)


def test_square_sources_are_left_as_they_were(tmp_path):
    src = _sd(tmp_path, (64, 48))
    p = plan(RenderJob(str(src), str(tmp_path / "o.mp4"), scale_w=2, scale_h=1), check_output=False)
    assert p.out_size == (128, 48) and p.sample_aspect is None and not any("pixel aspect" in n for n in p.notes)


def test_a_stretched_target_is_said(tmp_path):
    src = _sd(tmp_path, (720, 576), Fraction(64, 45))
    p = plan(RenderJob(str(src), str(tmp_path / "o.mov"), target_size=(1440, 1080)), check_output=False)
    assert any("differs from the picture's 16:9: the picture is stretched" in n for n in p.notes)


@pytest.mark.parametrize("args, says", [
    (["--pixel-aspect", "pal"], "pixel aspect preset pal is for PAL 4:3 (720x576) frames; this clip is 64x48"),
    (["--pixel-aspect", "wide"], "pixel aspect 'wide' is neither a ratio such as 64:45 nor one of the presets"),
    (["--pixel-aspect", "9:1"], "pixel aspect '9:1' is out of range"),
    (["--pixel-aspect", "8:9", "--scale", "1"], "with square pixels, a width factor of 1 makes the width 57 from 64"),
])
def test_bad_pixel_aspect_is_one_line(args, says, small_model_file, tmp_path, capsys):
    src = _sd(tmp_path, (64, 48))
    out = tmp_path / "o.mp4"
    scale = [] if "--scale" in args else ["--scale", "2"]
    assert main(["upscale", str(src), "-o", str(out), "--model", str(small_model_file), *scale, *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err, err
    assert not out.exists()


def test_info_shows_the_pixel_aspect(pal_wide, capsys):
    assert main(["info", str(pal_wide)]) == 0
    assert "size       180x144, pixel aspect 64:45 (16:9 picture)" in capsys.readouterr().out
