"""Delivery presets (issue 27 item 3) on the command line: each built-in one renders a real clip
into the codec, container, pixel format and size it promises; users' presets round-trip through
the shared file; a damaged file is one line; conflicts and unknown names are one line."""
from __future__ import annotations

import json

import av
import pytest
from helpers.clipmaker import make_clip

from engine.cli import main
from engine.video.delivery import BUILTIN
from engine.video.delivery_store import FILE_NAME, PresetStore

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PROMISES = {   # preset: (container format, codec, pixel format, output size for a 480x270 / 128x72 clip)
    "Web H.265": ("mov,mp4,m4a,3gp,3g2,mj2", "hevc", "yuv420p", (1920, 1080)),
    "H.264 high quality": ("mov,mp4,m4a,3gp,3g2,mj2", "h264", "yuv420p", (256, 144)),
    "ProRes 422 HQ master": ("mov,mp4,m4a,3gp,3g2,mj2", "prores", "yuv422p10le", (256, 144)),
    "DNxHR HQ for Avid": ("mxf", "dnxhd", "yuv422p", (256, 144)),
    "FFV1 archive": ("matroska,webm", "ffv1", "yuv420p", (256, 144)),
}
EXTENSIONS = {"Web H.265": ".mp4", "H.264 high quality": ".mp4", "ProRes 422 HQ master": ".mov",
              "DNxHR HQ for Avid": ".mxf", "FFV1 archive": ".mkv"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVSR_STUDIO_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def savsr(*args) -> int:
    return main([str(a) for a in args])


def upscale(model, *args) -> int:
    return savsr("upscale", *args, "--model", model, "--device", "cpu", "--speed", "ultrafast", "-q")


def probed(path):
    """(container format, codec, pixel format, (w, h), frames) of the file at ``path``."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = sum(1 for _ in c.decode(video=0))
        return c.format.name, s.codec_context.name, s.codec_context.format.name, (s.width, s.height), frames


@pytest.mark.parametrize("name", [p.name for p in BUILTIN])
def test_each_builtin_preset_writes_what_it_promises(name, small_model_file, tmp_path, home):
    big = name == "Web H.265"                 # its size rule: 1080p, so a clip that can reach it at x4
    clip = make_clip(tmp_path / "clip.mp4", count=1 if big else 2, size=(480, 270) if big else (128, 72))
    out = tmp_path / "out"
    scale = [] if big else ["--scale", "2"]   # the other presets keep the factors given
    assert upscale(small_model_file, clip, "--preset", name.upper(), *scale, "-o", f"{out}/") == 0
    written = list(out.iterdir())
    fmt, codec, pix_fmt, size = PROMISES[name]
    assert [p.suffix for p in written] == [EXTENSIONS[name]]     # named with the preset's container
    assert probed(written[0]) == (fmt, codec, pix_fmt, size, 1 if big else 2)


def test_options_given_with_a_preset_win_and_a_conflict_is_one_line(small_model_file, tmp_path, home, capsys):
    clip = make_clip(tmp_path / "clip.mp4", count=2, size=(128, 72))
    assert upscale(small_model_file, clip, "--preset", "web h.265", "--scale", "1.5", "--crf", "30",
                   "-o", tmp_path / "a.mkv") == 0
    assert probed(tmp_path / "a.mkv")[:4] == ("matroska,webm", "hevc", "yuv420p", (192, 108))
    assert upscale(small_model_file, clip, "--preset", "ProRes 422 HQ master", "--scale", "2",
                   "-o", tmp_path / "x.mp4") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"savsr: error: --preset 'ProRes 422 HQ master' writes ProRes 422 HQ, which .mp4 files cannot "
                   f"hold: name the output {tmp_path / 'x.mov'} or .mkv (or choose another --codec)"]
    assert not (tmp_path / "x.mp4").exists()
    assert upscale(small_model_file, clip, "--preset", "Web H.265", "-o", tmp_path / "b.mp4") == 1
    assert capsys.readouterr().err.strip() == ("savsr: error: the preset's size 1920x1080 needs a factor of 15.00 "
                                               "for this 128x72 clip: factors go from 1 to 4 (give --scale or "
                                               "--size to choose another size)")


def test_a_user_preset_round_trip_through_the_shared_file(small_model_file, tmp_path, home, capsys):
    assert savsr("presets", "save", "Client small", "--from", "web h.265", "--size", "256x144", "--crf", "26") == 0
    doc = json.loads((home / "config" / FILE_NAME).read_text())
    assert doc["version"] == 1 and [p["name"] for p in doc["presets"]] == ["Client small"]
    assert PresetStore().find("CLIENT SMALL").target == (256, 144)      # what the app reads too
    clip = make_clip(tmp_path / "wide.mp4", count=2, size=(96, 40))      # wider than 16:9: fits the width
    assert upscale(small_model_file, clip, "--preset", "client small", "-o", tmp_path / "c.mp4") == 0
    assert probed(tmp_path / "c.mp4")[1:4] == ("hevc", "yuv420p", (256, 106))
    assert savsr("presets", "rename", "client SMALL", "Client 144p") == 0
    capsys.readouterr()
    assert savsr("presets") == 0
    listing = capsys.readouterr().out
    assert "Client 144p " in listing and "fit 256x144" in listing and "Client small" not in listing
    for name in ("FFV1 archive", "Web H.265", "H.264 high quality", "ProRes 422 HQ master", "DNxHR HQ for Avid"):
        assert name in listing
    assert savsr("presets", "delete", "ffv1 ARCHIVE") == 1
    assert savsr("presets", "save", "web h.265", "--codec", "h264") == 1
    assert savsr("presets", "delete", "Client 144p") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["savsr: error: 'FFV1 archive' is built in: it cannot be deleted",
                   "savsr: error: 'Web H.265' is a built-in preset: choose another name"]
    assert json.loads((home / "config" / FILE_NAME).read_text())["presets"] == []


def test_an_unknown_name_lists_the_known_ones(small_model_file, tmp_path, home, capsys):
    clip = make_clip(tmp_path / "clip.mp4", count=1, size=(32, 24))
    assert upscale(small_model_file, clip, "--preset", "YouTube", "--scale", "2") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["savsr: error: unknown preset 'YouTube': known presets are 'Web H.265', 'H.264 high quality', "
                   "'ProRes 422 HQ master', 'DNxHR HQ for Avid', 'FFV1 archive'"]


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 99, "presets": []})])
def test_a_damaged_or_newer_file_is_one_line_and_never_overwritten_silently(content, home, capsys):
    file = home / "config" / FILE_NAME
    file.parent.mkdir(parents=True)
    file.write_text(content)
    assert savsr("presets") == 0
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"savsr: note: user presets ignored: {file} ")
    assert "FFV1 archive" in captured.out                                # the built-ins still work
    newer = content.startswith("{\"")
    assert savsr("presets", "save", "Mine", "--codec", "ffv1") == (1 if newer else 0)
    err = capsys.readouterr().err.strip().splitlines()
    if newer:       # a newer version's file is left as it is, and the save says why
        assert file.read_text() == content and len(err) == 1 and "written by a newer SAVSR Studio" in err[0]
    else:           # a damaged one is kept aside, said, and the new preset saved
        kept = [p for p in file.parent.iterdir() if p.name.startswith(f"{FILE_NAME}.damaged-")]
        assert [p.read_text() for p in kept] == [content]
        assert err == [f"savsr: note: the damaged {FILE_NAME} was kept as {kept[0].name}"]
        assert [p.name for p in PresetStore().user()] == ["Mine"]


def test_a_speed_name_as_preset_is_still_the_speed(small_model_file, tmp_path, home):
    clip = make_clip(tmp_path / "clip.mp4", count=1, size=(32, 24))
    assert savsr("upscale", clip, "--scale", "2", "--preset", "veryfast", "--model", small_model_file,
                 "--device", "cpu", "-q", "-o", tmp_path / "v.mp4") == 0
    assert probed(tmp_path / "v.mp4")[1:4] == ("h264", "yuv420p", (64, 48))
