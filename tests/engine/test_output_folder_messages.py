"""A special or unwritable output folder is one clear sentence on the command line (issue 27 item 4),
not "not writable (No such file or directory)"."""
from __future__ import annotations

import errno

from helpers.clipmaker import make_clip

from engine.cli import main
from engine.errors import folder_refusal


def test_proc_as_output_is_one_clear_line(tmp_path, capsys):
    clip = make_clip(tmp_path / "clip.mp4", count=1, size=(32, 24), audio=None)
    assert main(["upscale", str(clip), "--scale", "2", "-q", "-o", "/proc/out.mp4"]) == 1
    assert main(["upscale", str(clip), "--scale", "2", "-q", "-o", "/proc/new/"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "savsr: error: cannot write in /proc: /proc is a system folder that does not hold files; "
        "choose another output folder",
        "savsr: error: cannot create the output folder /proc/new: /proc is a system folder that does not hold "
        "files; choose another output folder"]
    assert not (tmp_path / "out.mp4").exists()


def test_read_only_and_forbidden_folders_are_said_as_such():
    said = {code: folder_refusal("/mnt/card", OSError(code, "x")) for code in (errno.EROFS, errno.EACCES)}
    assert said == {errno.EROFS: "cannot write in /mnt/card: it is on a read-only disk; choose another output folder",
                    errno.EACCES: "cannot write in /mnt/card: you have no permission to write there; choose another "
                                  "output folder"}
