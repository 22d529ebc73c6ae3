"""``savsr upscale``: success, and every bad input -> one line on stderr, exit 1, no file left."""
from __future__ import annotations

import pytest
from helpers.clipmaker import (
    file_hash,
    make_clip,
    write_audio_only,
    write_damaged_stream,
    write_no_frames,
    write_random_bytes,
)

from engine.cli import main
from engine.video import probe

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("cli") / "in clip é.mp4", count=4)


def test_upscale_writes_the_file_and_says_where(clip, small_model_file, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    rc = main(["upscale", str(clip), "-o", str(out), "--width-scale", "2", "--height-scale", "1.5",
               "--model", str(small_model_file), "--device", "cpu", "--crf", "20", "--preset", "veryfast"])
    assert rc == 0
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.out and "(64x36, 4 frames, h264)" in captured.out
    assert "4/4 frames" in captured.err and "fps" in captured.err and "ETA" in captured.err
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (64, 36, 4)


def test_default_output_name_next_to_the_input(small_model_file, tmp_path, capsys):
    src = make_clip(tmp_path / "take1.mov", count=2)
    assert main(["upscale", str(src), "--size", "64x48", "--model", str(small_model_file), "-q"]) == 0
    assert (tmp_path / "take1_savsr_64x48.mov").is_file()
    assert capsys.readouterr().err == ""


def test_existing_output_needs_overwrite(clip, small_model_file, tmp_path, capsys):
    out = tmp_path / "out.mkv"
    out.write_bytes(b"old")
    argv = ["upscale", str(clip), "-o", str(out), "--scale", "1", "--model", str(small_model_file), "-q",
            "--codec", "ffv1", "--end", "0.04"]
    assert main(argv) == 1 and out.read_bytes() == b"old"
    assert "already exists" in capsys.readouterr().err
    assert main(argv + ["--overwrite"]) == 0 and probe(out).frame_count == 1


CASES = {
    "missing input": (lambda t, c, d: t / "nope.mp4", [], "input file not found"),
    "folder as input": (lambda t, c, d: d, [], "a folder as input gives several files: give a folder"),
    "not a video": (lambda t, c, d: write_random_bytes(t / "random.mp4"), [],
                    "not a video, or a damaged or incomplete file"),
    "no video stream": (lambda t, c, d: write_audio_only(t / "voice.m4a"), [], "has no video stream"),
    "image": (lambda t, c, d: d / "001.png", [], "is a still image, not a video"),
    "zero frames": (lambda t, c, d: write_no_frames(t / "empty-recording.mkv"), [], "has no video frames"),
    "corrupt stream": (lambda t, c, d: write_damaged_stream(t / "damaged.mp4"), [], "the video stream is damaged"),
    "scale too large": (lambda t, c, d: c, ["--scale", "4.5"], "--scale 4.5 is out of range"),
    "scale below one": (lambda t, c, d: c, ["--height-scale", "0.5"], "--height-scale 0.5 is out of range"),
    "two scale forms": (lambda t, c, d: c, ["--scale", "2", "--size", "64x48"], "give one form of scale"),
    "bad size": (lambda t, c, d: c, ["--size", "big"], "--size must look like 1920x1080"),
    "bad time": (lambda t, c, d: c, ["--start", "1:xx"], "--start must be seconds"),
    "bad device": (lambda t, c, d: c, ["--device", "tpu"], "unknown device"),
    "unwritable folder": (lambda t, c, d: c, ["-o", "/proc/savsr-out.mp4"], "/proc is a system folder"),
    "missing folder": (lambda t, c, d: c, ["-o", "{tmp}/no/such/out.mp4"], "output folder does not exist"),
    "output is input": (lambda t, c, d: c, ["-o", "{input}"], "output is the input file"),
    "bad model": (lambda t, c, d: c, ["--model", "{input}"], "not a checkpoint file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_one_line_and_leaves_nothing(case, clip, small_model_file, footage_dir, tmp_path, capsys):
    make_input, extra, message = CASES[case]
    src = make_input(tmp_path, clip, footage_dir)
    before = file_hash(src) if src.is_file() else None
    extra = [a.replace("{tmp}", str(tmp_path)).replace("{input}", str(src)) for a in extra]
    argv = ["upscale", str(src), "--model", str(small_model_file), "--device", "cpu", "--backend", "torch"]
    argv += [] if "-o" in extra else ["-o", str(tmp_path / "out.mp4")]
    argv += extra if any(a.startswith(("--scale", "--height", "--size")) for a in extra) else ["--scale", "2"] + extra
    files_before = sorted(tmp_path.iterdir())
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 1
    assert err.count("\n") == 1 and err.startswith("savsr: error: ") and message in err, err
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == files_before  # no output, no temporary file
    if before is not None:
        assert file_hash(src) == before  # the input is never modified


def test_bundled_sample_at_an_asymmetric_scale(small_model_file, tmp_path, monkeypatch, capsys):
    from engine.resources import sample_clip_path
    if sample_clip_path() is None:
        pytest.skip("no bundled sample clip")
    monkeypatch.chdir(tmp_path)
    rc = main(["upscale", "--sample", "--width-scale", "2", "--height-scale", "1.5", "--end", "0.04",
               "--model", str(small_model_file), "-q"])
    assert rc == 0
    out = tmp_path / "big_buck_bunny_320x180_savsr_640x270.mp4"
    assert f"wrote {out}" in capsys.readouterr().out
    info = probe(out)
    assert (info.width, info.height, info.frame_count, info.matrix) == (640, 270, 1, "bt709")


def test_terminating_the_command_before_a_segment_is_finished_leaves_nothing(small_model_file, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    clip = make_clip(tmp_path.parent / f"{tmp_path.name}-long.mp4", count=40, size=(64, 48))  # long enough to catch
    out = tmp_path / "killed.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "upscale", str(clip), "-o", str(out), "--scale", "2",
                             "--model", str(small_model_file), "--device", "cpu"], cwd=root,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    manifest = tmp_path / ".killed.mp4.savsr-work" / "manifest.json"
    while not manifest.is_file():  # the render has set up its work folder
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # and is rendering its first segment
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err                       # 128 + SIGTERM, as shells report it
    assert err.strip().splitlines()[-1].startswith("savsr: stopped by SIGTERM")
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
