"""``savsr upscale IN [IN ...] -o FOLDER/``: every clip written or skipped with one line, a total, the exit status."""
from __future__ import annotations

import pytest
from helpers.clipmaker import file_hash, make_clip, write_random_bytes

from engine.cli import main
from engine.video import probe

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def upscale(small_model_file, *args) -> int:
    return main(["upscale", *map(str, args), "--scale", "2", "--model", str(small_model_file), "--device", "cpu",
                 "--preset", "veryfast", "-q"])


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())      # hidden work folders and .part files included


def test_two_clips_and_a_bad_file(small_model_file, tmp_path, capsys):
    a = make_clip(tmp_path / "a.mp4", count=3, size=(32, 24))
    bad = write_random_bytes(tmp_path / "bad.mp4")
    b = make_clip(tmp_path / "b.mov", count=2, size=(40, 24), audio=None)
    before = {p: file_hash(p) for p in (a, bad, b)}
    out = tmp_path / "new" / "out"
    rc = upscale(small_model_file, a, bad, b, "-o", f"{out}/")
    captured = capsys.readouterr()
    assert rc == 1                                                    # one clip failed
    assert listing(out) == ["a_savsr_64x48.mp4", "b_savsr_80x48.mov"]  # the folder was created; nothing partial
    for name, size, frames in (("a_savsr_64x48.mp4", (64, 48), 3), ("b_savsr_80x48.mov", (80, 48), 2)):
        info = probe(out / name)
        assert ((info.width, info.height), info.frame_count) == (size, frames)
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"savsr: error: skipped {bad}: ") and "not a video" in err[0]
    lines = captured.out.strip().splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["wrote", str(out / "a_savsr_64x48.mp4")],
                                                       ["wrote", str(out / "b_savsr_80x48.mov")]]
    assert lines[2].startswith("3 clips: 2 written (5 frames), 1 skipped (see above), in ")
    assert {p: file_hash(p) for p in before} == before                 # inputs are only read


def test_a_folder_is_its_video_files_and_equal_names_do_not_collide(small_model_file, tmp_path, capsys):
    footage = tmp_path / "footage"
    (footage / "more").mkdir(parents=True)
    make_clip(footage / "clip.mp4", count=2, audio=None)
    make_clip(footage / "Take 2.mkv", count=2, audio=None)
    (footage / "notes.txt").write_text("not a video")
    make_clip(footage / "more" / "clip.mp4", count=2, audio=None)     # a subfolder is not a batch of its own
    (tmp_path / "elsewhere").mkdir()
    other = make_clip(tmp_path / "elsewhere" / "clip.mp4", count=2, audio=None)   # the same name
    out = tmp_path / "out"
    out.mkdir()
    assert upscale(small_model_file, footage, other, "-o", out) == 0     # an existing folder needs no slash
    assert listing(out) == ["Take 2_savsr_64x48.mkv", "clip_savsr_64x48.mp4", "clip_savsr_64x48_2.mp4"]
    assert all(probe(p).frame_count == 2 for p in out.iterdir())
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("  ")[0] for line in lines[:3]] == [f"wrote {out / name}" for name in
                                                          ("clip_savsr_64x48.mp4", "Take 2_savsr_64x48.mkv",
                                                           "clip_savsr_64x48_2.mp4")]   # sorted by name
    assert lines[3].startswith("3 clips: 3 written (6 frames), in ")


def test_one_input_into_a_folder(small_model_file, tmp_path, capsys):
    clip = make_clip(tmp_path / "clip.mp4", count=2, audio=None)
    out = tmp_path / "deliveries"
    assert upscale(small_model_file, clip, "-o", f"{out}/") == 0
    assert listing(out) == ["clip_savsr_64x48.mp4"]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {out / 'clip_savsr_64x48.mp4'}  (64x48, 2 frames")
    assert probe(out / "clip_savsr_64x48.mp4").frame_count == 2
    assert upscale(small_model_file, clip, "-o", f"{out}/") == 1       # as a single render: exists, one line
    assert capsys.readouterr().err.strip().splitlines() == [
        f"savsr: error: output file already exists: {out / 'clip_savsr_64x48.mp4'} (use --overwrite to replace it)"]
    assert upscale(small_model_file, clip, "-o", f"{out}/", "--resume") == 0     # a stopped batch run again
    assert capsys.readouterr().out == f"kept {out / 'clip_savsr_64x48.mp4'}  (written by an earlier run)\n"


@pytest.mark.parametrize("output, message", [
    ("{tmp}/both.mp4", "several inputs give several files: give a folder as output (-o FOLDER/), not "),
    ("{tmp}/missing", "output folder does not exist: "),
])
def test_several_inputs_need_a_folder(small_model_file, tmp_path, capsys, output, message):
    a, b = make_clip(tmp_path / "a.mp4", count=1, audio=None), make_clip(tmp_path / "b.mp4", count=1, audio=None)
    before = listing(tmp_path)
    assert upscale(small_model_file, a, b, "-o", output.format(tmp=tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"savsr: error: {message}")
    assert listing(tmp_path) == before


def test_a_folder_without_videos_is_one_skipped_line(small_model_file, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no clips here")
    clip = make_clip(tmp_path / "clip.mp4", count=1, audio=None)
    out = tmp_path / "out"
    assert upscale(small_model_file, empty, clip, "-o", f"{out}/") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"savsr: error: skipped {empty}: no video files in the folder")
    assert listing(out) == ["clip_savsr_64x48.mp4"]


def test_terminating_a_batch_stops_it_with_one_line(small_model_file, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    first = make_clip(tmp_path / "first.mp4", count=2, audio=None)
    second = make_clip(tmp_path / "second.mp4", count=40, size=(64, 48), audio=None)   # long enough to catch
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "upscale", str(first), str(second), "-o", f"{out}/",
                             "--scale", "2", "--model", str(small_model_file), "--device", "cpu"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    manifest = out / ".second_savsr_128x96.mp4.savsr-work" / "manifest.json"
    while not manifest.is_file():   # the first clip is written, the second one is rendering
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == (f"savsr: stopped by SIGTERM during clip 2 ({second}): "
                                            "1 of 2 clips written")
    assert "Traceback" not in err
    assert stdout.startswith(f"wrote {out / 'first_savsr_64x48.mp4'}") and stdout.count("\n") == 1
    assert listing(out) == ["first_savsr_64x48.mp4"]                 # no partial second output
