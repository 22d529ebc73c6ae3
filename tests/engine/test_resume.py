"""Resumable renders: killed, stopped, out of disk or interrupted while joining, a render continues
from its last finished segment and its output decodes to exactly the frames of an uninterrupted one.

Identity is checked bit for bit with FFV1 (lossless: a decoded frame is exactly what the network
gave the encoder, so any frame lost, doubled, shifted or recomputed differently shows). H.264 is
checked for frame count, timestamps, audio and closeness: two H.264 renders of one job were seen
to differ within a segment now and then in a busy test process (see docs/cli.md).
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from helpers.clipmaker import file_hash, make_clip

from engine.cli import main
from engine.render.control import RenderCancelled, RenderControl, RenderStopped
from engine.render.job import RenderJob
from engine.render.renderer import RenderError, render
from engine.render.workdir import ResumeError, WorkFolder, work_path

ROOT = Path(__file__).resolve().parents[2]
SEGMENT = 4

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("resume") / "take 1 é.mp4", count=18, size=(48, 32))


def job(src, out, model, **kw):
    kw.setdefault("overwrite", False)
    kw.setdefault("codec", "ffv1" if str(out).endswith(".mkv") else "h264")
    return RenderJob(str(src), str(out), scale_w=2.0, scale_h=1.5, model=str(model), device="cpu", **kw)


def frame_hashes(path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def audio_packets(path) -> list[tuple[int, bytes]]:
    with av.open(str(path)) as c:
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.fixture(scope="module")
def reference(source, small_model_file, tmp_path_factory):
    """An uninterrupted render in this process (the resumed ones below run here too: oneDNN's results
    depend on the thread setup, so like is compared with like)."""
    out = tmp_path_factory.mktemp("reference") / "whole.mkv"
    render(job(source, out, small_model_file), segment_frames=SEGMENT)
    return out


def cli(src, out, model, *extra) -> list[str]:
    codec = "ffv1" if str(out).endswith(".mkv") else "h264"
    return [sys.executable, "-m", "engine", "upscale", str(src), "-o", str(out), "--width-scale", "2",
            "--height-scale", "1.5", "--model", str(model), "--device", "cpu", "--segment-frames", str(SEGMENT),
            "--codec", codec, "-q", *extra]


ENV = dict(os.environ, OMP_NUM_THREADS="1")


@pytest.fixture(scope="module")
def long_source(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("long") / "long take.mp4", count=40, size=(48, 32))


@pytest.fixture(scope="module")
def cli_references(long_source, small_model_file, tmp_path_factory):
    """Uninterrupted ``savsr upscale`` runs of the clip the kill tests kill, FFV1 and H.264."""
    folder = tmp_path_factory.mktemp("cli-reference")
    for name in ("whole.mkv", "whole.mp4"):
        subprocess.run(cli(long_source, folder / name, small_model_file), cwd=ROOT, env=ENV, check=True, timeout=300)
    return {".mkv": folder / "whole.mkv", ".mp4": folder / "whole.mp4"}


def interrupt(the_job, after: int):
    """Render ``the_job`` in segments of ``SEGMENT`` frames and stop once ``after`` frames are done,
    keeping the finished segments (as closing the app does)."""
    control = RenderControl()

    def progress(p):
        if p.done >= after:
            control.stop()

    with pytest.raises(RenderStopped):
        render(the_job, progress=progress, control=control, segment_frames=SEGMENT)


def assert_same_output(out, reference):
    got, want = frame_hashes(out), frame_hashes(reference)
    assert len(got) == len(want)
    assert got == want, f"frames {[i for i, (a, b) in enumerate(zip(got, want)) if a != b]} differ"
    assert audio_packets(out) == audio_packets(reference)
    assert not work_path(out).exists()


def test_uninterrupted_render_leaves_no_work_folder(reference):
    assert len(frame_hashes(reference)) == 18
    assert sorted(p.name for p in reference.parent.iterdir()) == ["whole.mkv"]


def psnr(a, b) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def assert_close_output(out, reference):
    """Same frames at the same times with the same audio; pictures equal up to H.264's variation."""
    from helpers.clipmaker import video_timestamps
    with av.open(str(out)) as a, av.open(str(reference)) as b:
        got = [f.to_ndarray(format="rgb24") for f in a.decode(video=0)]
        want = [f.to_ndarray(format="rgb24") for f in b.decode(video=0)]
    assert len(got) == len(want)
    assert min(psnr(x, y) for x, y in zip(got, want)) > 40
    assert video_timestamps(out) == video_timestamps(reference)
    assert audio_packets(out) == audio_packets(reference)
    assert not work_path(out).exists()


@pytest.mark.parametrize("ext, finished", [(".mkv", 0), (".mkv", 3), (".mp4", 3)])
def test_killed_render_resumes_to_identical_frames(ext, finished, long_source, small_model_file, cli_references,
                                                   tmp_path):
    out = tmp_path / f"killed{ext}"
    before = file_hash(long_source)
    proc = subprocess.Popen(cli(long_source, out, small_model_file), cwd=ROOT, env=ENV, stderr=subprocess.PIPE,
                            text=True)
    work = WorkFolder(out)
    deadline = time.monotonic() + 180
    while True:  # SIGKILL as soon as the work folder is set up (0) or `finished` segments are on disk
        assert proc.poll() is None, f"the render ended before it could be killed: {proc.stderr.read()}"
        assert time.monotonic() < deadline
        manifest = work.read() if work.exists() else None
        if manifest and len(manifest["segments"]) >= finished:
            break
        time.sleep(0.005)
    proc.kill()
    proc.wait(timeout=60)
    kept = len(work.read()["segments"])
    assert kept >= finished and not out.exists()
    print(f"killed with {kept} segments ({kept * SEGMENT} frames) finished")

    resumed = subprocess.run(cli(long_source, out, small_model_file, "--resume"), cwd=ROOT, env=ENV,
                             stderr=subprocess.PIPE, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(frame_hashes(out)) == 40
    if ext == ".mkv":
        assert_same_output(out, cli_references[ext])
    else:
        assert_close_output(out, cli_references[ext])
    assert file_hash(long_source) == before


def test_stopped_render_keeps_segments_and_resumes(source, small_model_file, reference, tmp_path):
    out = tmp_path / "stopped.mkv"
    interrupt(job(source, out, small_model_file), after=6)
    assert not out.exists() and WorkFolder(out).read()["segments"][0]["frames"] == SEGMENT

    reports, notes = [], []
    result = render(job(source, out, small_model_file), progress=reports.append, log=notes.append, resume=True)
    assert result.frames == 18
    assert reports[0].done >= SEGMENT  # the bar starts where the first render stopped
    assert any(n.startswith("resuming: ") and "of 18 frames were already rendered" in n for n in notes)
    assert_same_output(out, reference)


def test_an_interrupted_render_is_not_thrown_away_without_a_word(source, small_model_file, tmp_path, capsys):
    out = tmp_path / "again.mp4"
    interrupt(job(source, out, small_model_file), after=5)
    argv = ["upscale", str(source), "-o", str(out), "--width-scale", "2", "--height-scale", "1.5",
            "--model", str(small_model_file), "--device", "cpu", "-q"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "add --resume to continue it, or --overwrite to start over" in err
    assert WorkFolder(out).read()["segments"]
    notes = []
    render(job(source, out, small_model_file, overwrite=True), log=notes.append)
    assert any(n.startswith("discarded an interrupted render") for n in notes)
    assert not work_path(out).exists() and len(frame_hashes(out)) == 18


@pytest.mark.parametrize("change, words", [
    (dict(crf=30), "settings (crf)"),
    (dict(scale_w=2.5), "settings (scale_w)"),
    (dict(model="other"), "another model"),
    (dict(input="other"), "the input file changed"),
])
def test_a_foreign_work_folder_is_refused(change, words, source, small_model_file, tmp_path, capsys):
    out = tmp_path / "mixed.mp4"
    interrupt(job(source, out, small_model_file), after=5)
    manifest_before = (work_path(out) / "manifest.json").read_bytes()
    other = dict(change)
    if other.get("model") == "other":
        other["model"] = str(_retrained(small_model_file, tmp_path))
    if other.get("input") == "other":
        other["input"] = str(make_clip(tmp_path / "other.mp4", count=18, size=(48, 32), fps=30))
    with pytest.raises(ResumeError, match="holds an interrupted render of something else") as err:
        render(job(source, out, small_model_file).replace(**other), resume=True)
    assert words in str(err.value)
    assert (work_path(out) / "manifest.json").read_bytes() == manifest_before and not out.exists()


def _retrained(model_file, folder) -> Path:
    import torch

    from engine.models.checkpoint import load_model, save_model
    model = load_model(model_file)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    return save_model(model, folder / "other.safetensors")


def test_the_cli_refuses_a_foreign_work_folder_in_one_line(source, small_model_file, tmp_path, capsys):
    out = tmp_path / "cli.mp4"
    interrupt(job(source, out, small_model_file), after=5)
    rc = main(["upscale", str(source), "-o", str(out), "--scale", "3", "--model", str(small_model_file),
               "--device", "cpu", "--resume", "-q"])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1
    assert err.startswith("savsr: error: ") and "settings (scale_w, scale_h)" in err


def test_disk_full_keeps_finished_segments_for_a_resume(source, small_model_file, reference, tmp_path, monkeypatch):
    from engine.video.encode import VideoWriter
    real_write = VideoWriter.write
    written = []

    def write(self, rgb, pts):
        if len(written) == 6:
            raise OSError(28, "No space left on device")
        written.append(pts)
        real_write(self, rgb, pts)

    out = tmp_path / "full.mkv"
    monkeypatch.setattr(VideoWriter, "write", write)
    with pytest.raises(RenderError, match=r"No space left on device; the 4 finished frames are kept$"):
        render(job(source, out, small_model_file), segment_frames=SEGMENT)      # how to continue: the caller's words
    assert not out.exists()
    assert sorted(p.name for p in work_path(out).iterdir()) == ["lock", "manifest.json", "segment_00000.mkv"]
    monkeypatch.setattr(VideoWriter, "write", real_write)
    render(job(source, out, small_model_file), resume=True)
    assert_same_output(out, reference)


def test_a_full_disk_tells_the_command_line_user_to_add_resume(source, small_model_file, tmp_path, monkeypatch,
                                                               capsys):
    from engine.video.encode import VideoWriter
    real_write, written = VideoWriter.write, []

    def write(self, rgb, pts):
        if len(written) == 6:
            raise OSError(28, "No space left on device")
        written.append(pts)
        real_write(self, rgb, pts)

    monkeypatch.setattr(VideoWriter, "write", write)
    out = tmp_path / "full.mkv"
    argv = ["upscale", str(source), "-o", str(out), "--scale", "2", "--model", str(small_model_file), "--device", "cpu",
            "--backend", "torch", "--codec", "ffv1", "--segment-frames", str(SEGMENT), "-q"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == (f"savsr: error: could not write {out}: No space left on device; the 4 finished frames are kept: "
                   "run the same command with --resume to continue\n")


def test_output_folder_removed_during_a_render(source, small_model_file, tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    out = folder / "out.mp4"

    def progress(p):
        if p.done >= 6 and folder.exists():
            import shutil
            shutil.rmtree(folder)

    with pytest.raises(RenderError, match="could not write .*out.mp4: the output folder .*gone was removed during "
                                          "the render$"):
        render(job(source, out, small_model_file), progress=progress, segment_frames=SEGMENT)
    assert not folder.exists()


def test_killed_while_joining_resumes_without_rendering_again(source, small_model_file, reference, tmp_path,
                                                              monkeypatch):
    import engine.render.renderer as engine_render
    real_join = engine_render.join

    def killed(*args):
        raise KeyboardInterrupt

    out = tmp_path / "join.mkv"
    monkeypatch.setattr(engine_render, "join", killed)
    with pytest.raises(KeyboardInterrupt):
        render(job(source, out, small_model_file), segment_frames=SEGMENT)
    assert WorkFolder(out).read()["segments"][-1]["stop"] == 18 and not out.exists()
    monkeypatch.setattr(engine_render, "join", real_join)
    reports = []
    render(job(source, out, small_model_file), progress=reports.append, resume=True)
    assert reports[0].done == 18
    assert_same_output(out, reference)


def test_a_damaged_segment_is_rendered_again(source, small_model_file, reference, tmp_path):
    out = tmp_path / "damaged.mkv"
    interrupt(job(source, out, small_model_file), after=9)
    second = work_path(out) / WorkFolder(out).read()["segments"][1]["file"]
    second.write_bytes(second.read_bytes()[:100])
    notes = []
    render(job(source, out, small_model_file), log=notes.append, resume=True)
    assert any("segment 2 of the interrupted render is missing or damaged" in n for n in notes)
    assert_same_output(out, reference)


def test_cancel_throws_the_finished_segments_away(source, small_model_file, tmp_path):
    out = tmp_path / "cancel.mp4"
    control = RenderControl()

    def progress(p):
        if p.done >= 9:
            control.cancel()

    with pytest.raises(RenderCancelled):
        render(job(source, out, small_model_file), progress=progress, control=control, segment_frames=SEGMENT)
    assert list(tmp_path.iterdir()) == []


def test_png_sequence_resumes(source, small_model_file, tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    render(job(source, whole, small_model_file, codec="png"), segment_frames=SEGMENT)
    interrupt(job(source, part, small_model_file, codec="png"), after=6)
    assert not part.exists()
    render(job(source, part, small_model_file, codec="png"), resume=True)
    names = sorted(p.name for p in whole.iterdir())
    assert names == sorted(p.name for p in part.iterdir()) and len([n for n in names if n.endswith(".png")]) == 18
    assert all(file_hash(whole / n) == file_hash(part / n) for n in names if n.endswith(".png"))
    assert not work_path(part).exists()


def test_two_renders_of_one_output_do_not_mix(source, small_model_file, tmp_path):
    out = tmp_path / "busy.mp4"
    other = WorkFolder(out)
    other.path.mkdir()
    other.lock()  # as a render in another process would
    try:
        with pytest.raises(ResumeError, match="another render is writing .*busy.mp4 right now"):
            render(job(source, out, small_model_file), resume=True)
    finally:
        other.unlock()
    assert not out.exists()


def test_terminating_the_command_keeps_finished_segments(small_model_file, source, tmp_path):
    out = tmp_path / "term.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "upscale", str(source), "-o", str(out), "--scale", "2",
                             "--model", str(small_model_file), "--device", "cpu", "--segment-frames", "3"],
                            cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"), stderr=subprocess.PIPE, text=True)
    work = WorkFolder(out)
    deadline = time.monotonic() + 180
    while not (work.exists() and (m := work.read()) and m["segments"]):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143         # 128 + SIGTERM
    assert "frames are kept: run the same command with --resume to continue" in err.splitlines()[-1]
    assert not out.exists() and not list(work.path.glob("*.part"))
