"""What a first user typed wrong on the command line, and the one line each gets back (issue 16, item 7)."""
from __future__ import annotations

import io

import pytest
from helpers.clipmaker import make_clip

from engine.cli import main
from engine.cli.progress import ProgressBar
from engine.render.control import Progress


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("messages") / "clip.mp4", count=3, size=(320, 180))


@pytest.mark.parametrize("args, message", [
    (["--scale", "abc"], "savsr: error: --scale must be a number from 1 to 4, got 'abc'"),
    (["--scale", "0"], "savsr: error: --scale 0 is out of range: give a factor from 1 to 4"),
    (["--width-scale", "5"], "savsr: error: --width-scale 5 is out of range: give a factor from 1 to 4"),
    (["--size", "1281x721"], "savsr: error: target width 1281 is 4.003x the input width 320"),
])
def test_scale_mistakes_are_one_line(args, message, clip, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    assert main(["upscale", str(clip), "-o", str(out), *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(message), err
    assert "usage:" not in err and not out.exists()


def test_info_takes_the_sample_like_upscale(capsys):
    assert main(["info", "--sample"]) == 0
    assert "big_buck_bunny_320x180.mp4" in capsys.readouterr().out


def test_info_without_input_says_how(capsys):
    assert main(["info"]) == 1
    assert capsys.readouterr().err == "savsr: error: no input: give a video file (or --sample for the bundled clip)\n"


def test_progress_line_keeps_one_speed_unit():
    """A render that starts slow (model loading, first segment) and speeds up past 0.1 fps keeps s/frame."""
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    for done, fps in ((1, 0.05), (5, 0.12), (10, 2.0)):
        bar(Progress(done=done, total=10, fps=fps, eta_seconds=1.0))
    lines = stream.getvalue().splitlines()
    assert all("s/frame" in line and " fps" not in line for line in lines), lines
    assert "0.5 s/frame" in lines[-1]
