"""``savsr conform``: only the used ranges plus handles are upscaled; the new timeline relinks them.

Two 20 s clips of real footage (5 fps, so the test stays small); the edit uses 3 s of each.
"""
from __future__ import annotations

import builtins
from pathlib import Path

import pytest
from helpers.clipmaker import make_long_clip

from engine.cli import main
from engine.timeline.ranges import media_path
from engine.video import probe

otio = pytest.importorskip("opentimelineio")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
FPS, HANDLES = 5, 4


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    return (make_long_clip(folder / "interview a.mov", 20, fps=FPS, timecode="01:00:00:00"),
            make_long_clip(folder / "b_roll.mov", 20, fps=FPS))


def _timeline(path: Path, clips) -> Path:
    """A one-track edit; ``clips``: (name, media path or URL, first frame used, frames, available range start)."""
    from helpers.timelines import write_edit
    return write_edit(path, clips, FPS, 100)


def _conform(edit, out, model, *args):
    return main(["conform", str(edit), "-o", str(out), "--handles", str(HANDLES), "--scale", "1", "--codec", "h264",
                 "--model", str(model), "--backend", "torch", "--device", "cpu", "-q", *args])


def test_renders_used_ranges_plus_handles_and_relinks(media, small_model_file, tmp_path, capsys):
    a, b = media
    tc_start = 3600 * FPS  # a's media time counts from its timecode, 01:00:00:00
    edit = _timeline(tmp_path / "edit.otio", [("A", a, 20, 15, tc_start), ("B", b, 50, 15, 0)])
    out = tmp_path / "conformed"
    out.mkdir()
    assert _conform(edit, out, small_model_file) == 0, capsys.readouterr().err
    assert f"wrote {out / 'edit_savsr.otio'}" in capsys.readouterr().out
    new = otio.adapters.read_from_file(str(out / "edit_savsr.otio"))
    old = otio.adapters.read_from_file(str(edit))
    for clip, before in zip(new.find_clips(), old.find_clips()):
        path = media_path(clip.media_reference.target_url, edit.parent)
        info = probe(path)
        assert path.parent == out and info.frame_count == 15 + 2 * HANDLES       # 3 s and the handles, no more
        assert clip.source_range == before.source_range                        # timing unchanged
        available = clip.media_reference.available_range
        assert available.duration.to_frames() == info.frame_count
        assert available.contains(clip.source_range.start_time)
        assert (clip.source_range.start_time - available.start_time).to_frames() == HANDLES  # same frames as before
    assert new.duration() == old.duration()
    first = media_path(new.find_clips()[0].media_reference.target_url, edit.parent)
    assert probe(first).timecode == "01:00:03:1"  # 01:00:00:00 + 16 frames at 5 fps
    # run again: the finished pieces are kept, nothing is rendered twice
    assert _conform(edit, out, small_model_file) == 0
    assert "2 kept from an earlier run" in capsys.readouterr().out


def test_missing_media_one_line_per_clip_and_the_rest_rendered(media, small_model_file, tmp_path, capsys):
    a, _b = media
    edit = _timeline(tmp_path / "edit.otio", [("A", a, 0, 5, None), ("Gone 1", tmp_path / "lost.mov", 0, 5, None),
                                              ("Gone 2", "/nowhere/tape 2.mov", 0, 5, None)])
    out = tmp_path / "out"
    out.mkdir()
    assert _conform(edit, out, small_model_file) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"savsr: clip 'Gone 1' not conformed, media not found: {(tmp_path / 'lost.mov').as_uri()}"
    assert err[1] == "savsr: clip 'Gone 2' not conformed, media not found: /nowhere/tape 2.mov"
    assert err[2] == "savsr: error: 2 clips not conformed (listed above); they still point at their original media"
    assert len(err) == 3
    rendered = [p for p in out.iterdir() if p.suffix == ".mp4"]
    assert len(rendered) == 1 and probe(rendered[0]).frame_count == 5 + HANDLES  # at the file's start: one handle
    new = otio.adapters.read_from_file(str(out / "edit_savsr.otio"))
    assert [c.media_reference.target_url for c in new.find_clips()][1:] == [(tmp_path / "lost.mov").as_uri(),
                                                                             "/nowhere/tape 2.mov"]


@pytest.mark.parametrize("make, says", [
    (lambda d: d / "nope.otio", "savsr: error: timeline not found:"),
    (lambda d: (d / "bad.otio").write_text("{ not json") and d / "bad.otio",
     "savsr: error: cannot read timeline bad.otio:"),
    (lambda d: (d / "edit.xyz").write_text("x") and d / "edit.xyz", "savsr: error: cannot read timeline edit.xyz:"),
])
def test_bad_timeline_is_one_line(make, says, small_model_file, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert _conform(make(tmp_path), out, small_model_file) == 1
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1 and "Traceback" not in err, err
    assert list(out.iterdir()) == []


def test_without_opentimelineio_it_says_how_to_get_it(media, tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_otio(name, *args, **kwargs):
        if name.startswith("opentimelineio"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_otio)
    assert main(["conform", str(tmp_path / "edit.otio"), "-o", str(tmp_path), "--scale", "2"]) == 1
    err = capsys.readouterr().err
    assert err == "savsr: error: savsr conform needs OpenTimelineIO: pip install 'savsr-studio[timeline]' " \
                  "(or: pip install opentimelineio)\n"


def test_output_folder_must_exist(media, tmp_path, capsys):
    edit = _timeline(tmp_path / "edit.otio", [("A", media[0], 0, 5, None)])
    assert main(["conform", str(edit), "-o", str(tmp_path / "nope"), "--scale", "2"]) == 1
    assert capsys.readouterr().err == f"savsr: error: output folder does not exist: {tmp_path / 'nope'}\n"


def test_an_interrupted_conform_resumes_its_piece(media, small_model_file, tmp_path, capsys):
    from engine.render import RenderControl, RenderJob, RenderStopped
    from engine.render.renderer import render
    from engine.timeline.conform import conform
    edit = _timeline(tmp_path / "edit.otio", [("A", media[0], 20, 15, 3600 * FPS)])
    out = tmp_path / "out"
    out.mkdir()
    template = RenderJob("", "", scale_w=1.0, scale_h=1.0, codec="h264", model=str(small_model_file),
                         backend="torch", device="cpu", overwrite=False)

    def stopped_after_ten(job, resume):  # segments of 10 frames at 5 fps: stopped inside the second one,
        control = RenderControl()         # so the first is surely finished and kept
        render(job, progress=lambda p: control.stop() if p.done >= 15 else None, control=control, resume=resume)

    with pytest.raises(RenderStopped):
        conform(edit, out, template, HANDLES, render=stopped_after_ten, ext=".mp4")
    assert not (out / "edit_savsr.otio").exists()
    capsys.readouterr()
    assert main(["conform", str(edit), "-o", str(out), "--handles", str(HANDLES), "--scale", "1", "--codec", "h264",
                 "--model", str(small_model_file), "--backend", "torch", "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "savsr: note: resuming: 10 of 23 frames were already rendered" in err, err
    piece = [p for p in out.iterdir() if p.suffix == ".mp4"]
    assert len(piece) == 1 and probe(piece[0]).frame_count == 23
