"""plan(): sizes, even-size adjustment, orientation, ranges, colour and every refusal."""
from __future__ import annotations

from fractions import Fraction

import pytest
from helpers.clipmaker import make_clip

from engine.render.job import RenderJob
from engine.render.plan import PlanError, plan
from engine.video import probe


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("plan") / "in.mp4", count=6, size=(64, 48))


@pytest.fixture(scope="module")
def rotated(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("plan") / "rot.mp4", count=3, size=(64, 48), rotation=90)


def job(clip, out, **kw):
    kw.setdefault("scale_w", 2.0)
    kw.setdefault("scale_h", 2.0)
    return RenderJob(input=str(clip), output=str(out), device="cpu", **kw)


def test_output_size_follows_each_factor(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mkv", scale_w=1.5, scale_h=3.25, codec="ffv1", pix_fmt="yuv444p"))
    assert p.out_size == (96, 156) and p.scale == (3.25, 1.5)
    assert (p.first, p.stop, p.frame_count) == (0, 6, 6) and not p.notes[1:]


def test_odd_size_is_rounded_to_even_and_said(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4", scale_w=2.01, scale_h=1.01))  # 128.64 -> 129, 48.48 -> 48
    assert p.out_size == (128, 48)
    assert p.scale == pytest.approx((1.0, 2.0))
    assert any("width 129 rounded to 128" in n and "needs even sizes" in n for n in p.notes)


def test_fine_factors_are_kept_when_the_codec_allows_odd_sizes(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o", scale_w=1.234, scale_h=3.999, codec="png"))
    assert p.out_size == (79, 192)


def test_target_size_gives_the_factors(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4", target_size=(100, 150), scale_w=None, scale_h=None))
    assert p.out_size == (100, 150) and p.scale == pytest.approx((150 / 48, 100 / 64))


def test_factors_are_in_display_orientation_for_a_rotated_clip(rotated, tmp_path):
    p = plan(job(rotated, tmp_path / "o.mp4", scale_w=1.5, scale_h=2.0))  # shown as 48x64
    assert p.display_out_size == (72, 128) and p.out_size == (128, 72)
    assert p.scale == pytest.approx((1.5, 2.0))  # stored height grows with the display width
    assert any("rotation flag 90" in n for n in p.notes)


def test_range_in_seconds_picks_frames(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4", start=0.08, end=0.2))
    assert (p.first, p.stop) == (2, 5)


def test_untagged_input_is_tagged_explicitly(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4"))
    assert (p.matrix, p.primaries, p.transfer, p.range) == ("smpte170m", "smpte170m", "smpte170m", "tv")
    assert any("no colour tags" in n for n in p.notes)


def test_default_pixel_formats(clip, tmp_path):
    assert plan(job(clip, tmp_path / "a.mov", codec="prores")).pix_fmt == "yuv422p10le"
    assert plan(job(clip, tmp_path / "a.mkv", codec="ffv1")).pix_fmt == "yuv420p"
    assert plan(job(clip, tmp_path / "a", codec="png")).pix_fmt == "rgb24"


@pytest.mark.parametrize("changes, message", [
    (dict(scale_w=4.5), "width factor 4.5 is out of range"),
    (dict(scale_h=0.9), "height factor 0.9 is out of range"),
    (dict(scale_w=None, scale_h=None, target_size=(300, 100)), "target width 300 is 4.69x"),
    (dict(scale_w=None, scale_h=None), "no scale given"),
    (dict(codec="prores"), "cannot be stored in .mp4 files: use .mov or .mkv"),
    (dict(codec="av1"), "unknown codec"),
    (dict(pix_fmt="rgb24"), "cannot write pixel format 'rgb24'"),
    (dict(crf=60), "CRF 60 is out of range"),
    (dict(preset="turbo"), "unknown preset"),
    (dict(precision="fp16"), "fp16 cannot run on the CPU: this CPU has no fp16 arithmetic"),
    (dict(precision="fp8"), "unknown precision 'fp8'"),
    (dict(tile=8), "tile size 8 is too small"),
    (dict(start=1.0), "past the end of the clip"),
    (dict(start=0.1, end=0.05), "must be after start"),
    (dict(model="/nonexistent/model.safetensors"), "model file not found"),
])
def test_bad_settings_are_refused(clip, tmp_path, changes, message, monkeypatch):
    from engine.backends import runtimes
    monkeypatch.setattr(runtimes, "cpu_capabilities", lambda: ("fp32",))     # a CPU without fp16
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(".", r"\.")):
        plan(job(clip, tmp_path / "o.mp4", **changes))


def test_output_checks(clip, tmp_path):
    with pytest.raises(PlanError, match="output is the input file"):
        plan(job(clip, clip))
    with pytest.raises(PlanError, match="output folder does not exist"):
        plan(job(clip, tmp_path / "missing" / "o.mp4"))
    with pytest.raises(PlanError, match="needs a video extension"):
        plan(job(clip, tmp_path / "o.avi"))
    with pytest.raises(PlanError, match="PNG output is an image sequence"):
        plan(job(clip, tmp_path / "o.png", codec="png"))
    (tmp_path / "folder.mp4").mkdir()
    with pytest.raises(PlanError, match="is a folder"):
        plan(job(clip, tmp_path / "folder.mp4"))
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(PlanError, match="already exists"):
        plan(job(clip, existing))               # a library caller's default is the CLI's: never replace unasked
    assert plan(job(clip, existing, overwrite=True)).output == existing and existing.read_bytes() == b"keep me"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.png").write_bytes(b"")
    with pytest.raises(PlanError, match="not empty"):
        plan(job(clip, tmp_path / "full", codec="png"))


def test_unwritable_output_folder_is_refused(clip):
    with pytest.raises(PlanError, match=r"^cannot write in /proc: /proc is a system folder that does not hold files; "
                                        r"choose another output folder$"):
        plan(job(clip, "/proc/savsr-test.mp4"))


def test_plan_without_output_checks_for_previews(clip):
    p = plan(job(clip, "/nonexistent/folder/o.mp4"), probe(clip), check_output=False)
    assert p.out_size == (128, 96)


def test_vfr_note(tmp_path):
    clip = make_clip(tmp_path / "vfr.mp4", count=4, pts=[0, 1, 5, 6], time_base=Fraction(1, 25))
    assert any("variable frame rate" in n for n in plan(job(clip, tmp_path / "o.mp4")).notes)
