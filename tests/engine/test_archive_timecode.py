"""Start timecode carried to the output (MOV, MKV, MXF), and DNxHR in MOV and MXF."""
from __future__ import annotations

from fractions import Fraction

import pytest
from helpers.clipmaker import audio_duration, make_clip, make_tagged_clip

from engine.cli import main
from engine.video import probe
from engine.video import timecode as tc

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NTSC = Fraction(30000, 1001)


@pytest.mark.parametrize("frames, text", [(0, "00:00:00;00"), (1799, "00:00:59;29"), (1800, "00:01:00;02"),
                                          (17982, "00:10:00;00"), (2589407, "23:59:59;29")])
def test_drop_frame_counts_both_ways(frames, text):
    assert tc.format_frames(frames, NTSC) == text and tc.parse(text, NTSC) == frames


def test_advance_moves_on_and_changes_rate():
    assert tc.advance("10:00:00:00", Fraction(25), 4.0) == "10:00:04:00"
    assert tc.advance("10:00:00:12", Fraction(25), 0, Fraction(50)) == "10:00:00:24"   # field rate: frames double
    assert tc.advance("01:00:59;29", NTSC, float(1 / NTSC)) == "01:01:00;02"            # across a dropped pair
    assert tc.advance("23:59:59:24", Fraction(25), 0.04) == "00:00:00:00"               # wraps at midnight


def test_not_a_timecode():
    with pytest.raises(tc.TimecodeError):
        tc.parse("10:00:00:25", Fraction(25))
    assert not tc.valid("tomorrow", Fraction(25))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_tagged_clip(tmp_path_factory.mktemp("tc") / "tape 7.mov", count=3, size=(128, 72),
                            timecode="10:00:00:00")


def _upscale(src, out, model, *args):
    return main(["upscale", str(src), "-o", str(out), "--model", str(model), "--backend", "torch", "--device", "cpu",
                 "--size", "256x144", "-q", *args])


@pytest.mark.parametrize("name, args, codec, pix_fmt", [
    ("out.mov", ["--end", "0.04"], "h264", "yuv420p"),
    ("out.mkv", ["--end", "0.04"], "h264", "yuv420p"),
    ("out.mxf", ["--codec", "dnxhr-hq", "--end", "0.04"], "dnxhd", "yuv422p"),
    ("out_hqx.mov", ["--codec", "dnxhr-hqx", "--start", "0.08"], "dnxhd", "yuv422p10le"),
])
def test_timecode_read_back_equals_the_source(source, name, args, codec, pix_fmt, small_model_file, tmp_path, capsys):
    assert probe(source).timecode == "10:00:00:00"
    out = tmp_path / name
    assert _upscale(source, out, small_model_file, *args) == 0, capsys.readouterr().err
    info = probe(out)
    start = "10:00:00:02" if "--start" in args else "10:00:00:00"  # a range starts the timecode at its first frame
    assert (info.timecode, info.codec, info.pix_fmt, info.frame_count) == (start, codec, pix_fmt, 1)


def test_info_shows_the_timecode(source, capsys):
    assert main(["info", str(source)]) == 0
    assert "timecode   10:00:00:00" in capsys.readouterr().out


@pytest.mark.parametrize("args, says", [
    (["--codec", "dnxhr-sq", "--size", "200x100", "-o", "{d}/small.mov"],
     "DNxHR SQ needs frames of at least 256x120; the output is 200x100"),
    (["--codec", "dnxhr-lb", "--size", "256x144", "-o", "{d}/out.mkv"],
     "DNxHR LB cannot be stored in .mkv files: use .mov or .mxf"),
    (["--codec", "h264", "--size", "256x144", "-o", "{d}/out.mxf"], "H.264 cannot be stored in .mxf files"),
])
def test_codec_limits_are_one_line(source, args, says, small_model_file, tmp_path, capsys):
    args = [a.replace("{d}", str(tmp_path)) for a in args]
    assert main(["upscale", str(source), "--model", str(small_model_file), *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
    assert list(tmp_path.iterdir()) == []


def test_mxf_refuses_an_odd_frame_rate(small_model_file, tmp_path, capsys):
    src = make_tagged_clip(tmp_path / "odd.mov", count=2, size=(128, 72), fps=12)
    assert main(["upscale", str(src), "-o", str(tmp_path / "o.mxf"), "--codec", "dnxhr-hq", "--size", "256x144",
                 "--model", str(small_model_file)]) == 1
    assert "MXF holds only the broadcast frame rates" in capsys.readouterr().err


def test_mxf_gets_its_audio_as_pcm(small_model_file, tmp_path, capsys):
    src = make_clip(tmp_path / "with tone.mov", count=3, size=(128, 72))
    out = tmp_path / "o.mxf"
    assert _upscale(src, out, small_model_file, "--codec", "dnxhr-sq") == 0, capsys.readouterr().err
    info = probe(out)
    assert info.frame_count == 3 and [(a.codec, a.sample_rate) for a in info.audio] == [("pcm_s16le", 48000)]
    assert audio_duration(out) == pytest.approx(audio_duration(src), abs=0.025)
