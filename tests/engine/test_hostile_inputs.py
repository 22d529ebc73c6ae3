"""Hostile and odd input through ``savsr upscale``, every case in one place.

Refused, each with one ``savsr: error:`` line, exit 1, no traceback, nothing left behind and the
input (and model file) untouched:

- truncated MP4 (the cut removes its index, which sits at the end); random bytes named ``.mp4``
- audio-only file named ``.mp4``; an image file (a PNG, and a PNG renamed ``.mp4``)
- zero-frame videos (no stream at all; a video stream without frames) and an empty file
- frames too small to upscale (16x1)
- a frame size whose output would exceed the size limit (4200x2400 at x4)
- output path equal to the input (same spelling, another spelling, a link; also with --overwrite)
- ``--model``: a pickle with code in it (refused, the code never runs), another network's
  checkpoint (``.pth``, ``.safetensors``), an empty file

Valid but odd, rendered correctly (exit 0, every frame at the expected size, the picture upright
and the input's, input untouched, no work folder left):

- truncated Matroska files (the frames that are there are rendered; a file cut far short gets a note)
- one-, two- and three-frame clips (the temporal window is reflected)
- odd and tiny sizes: 17x9 at x2, x1.5 and x1.7 (rounded to even sizes for H.264, with a note), 2x2
- rotated phone clip (``.mov``, rotation flag 90)
- variable frame rate (every timestamp kept)
- 10-bit (H.265 yuv420p10le in ``.mkv``: the output is 10-bit); interlaced-flagged (a note)
- missing colour tags (a note; the output is tagged); non-ASCII and space-containing paths
"""
from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers.clipmaker import (
    decoded_frames,
    file_hash,
    footage,
    footage_dir,
    make_clip,
    video_timestamps,
    write_audio_only,
    write_no_frames,
    write_random_bytes,
)

from engine.cli import main
from engine.video import probe, read_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (hidden ones included) with each file's sha256."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), folder)] = "folder"
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = file_hash(path)
    return found


# ---- inputs that must be refused -----------------------------------------------------------

def _truncated_mp4(d):
    data = make_clip(d / "camera.mp4", count=6, size=(64, 48)).read_bytes()
    kept = data[: int(len(data) * 0.6)]
    assert b"moov" in data[int(len(data) * 0.6):] and b"moov" not in kept  # the cut took the index
    src = d / "copied off the card.mp4"
    src.write_bytes(kept)
    return src, []


def _random_bytes(d):
    return write_random_bytes(d / "clip.mp4", seed=7), []


def _audio_only(d):
    return write_audio_only(d / "song.mp4"), []


def _image(name):
    def make(d):
        shutil.copy(footage_dir() / "001.png", d / name)
        return d / name, []
    return make


def _no_streams(d):
    return write_no_frames(d / "never recorded.mp4"), []


def _no_frames(d):
    return write_no_frames(d / "stopped at once.mkv", flush=True), []


def _empty_file(d):
    src = d / "empty.mp4"
    src.write_bytes(b"")
    return src, []


def _one_pixel_high(d):
    return make_clip(d / "line.mkv", count=2, size=(16, 1), codec="ffv1", pix_fmt="yuv444p", audio=None), []


def _too_large(d):
    return make_clip(d / "huge.mp4", count=2, size=(4200, 2400), audio=None), ["--scale", "4"]


def _clip(d):
    return make_clip(d / "clip.mp4", count=3)


def _output_is_input(d):
    src = _clip(d)
    return src, ["-o", str(src)]


def _output_is_input_overwrite(d):
    src = _clip(d)
    (d / "sub").mkdir()
    return src, ["-o", str(d / "sub" / ".." / src.name), "--overwrite"]


def _output_links_to_input(d):
    src = _clip(d)
    try:
        os.symlink(src, d / "link.mp4")
    except OSError as exc:
        pytest.skip(f"cannot make a symbolic link here: {exc}")
    return src, ["-o", str(d / "link.mp4"), "--overwrite"]


class RunsCode:
    """Unpickling this runs ``exec``: it would create ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _pickle_with_code(d):
    model = d / "upscaler.pth"
    with open(model, "wb") as f:
        pickle.dump({"params": RunsCode(d / "CODE-RAN")}, f, protocol=2)
    return _clip(d), ["--model", str(model)]


def _torch_pickle_with_code(d):
    import torch
    model = d / "upscaler.pt"
    torch.save({"params": RunsCode(d / "CODE-RAN")}, model)
    return _clip(d), ["--model", str(model)]


def _wrong_architecture_pth(d):
    import torch
    model = d / "other-net.pth"
    torch.save({"params": {"conv.weight": torch.zeros(3, 3, 3, 3)}}, model)
    return _clip(d), ["--model", str(model)]


def _wrong_architecture_safetensors(d):
    import torch
    from safetensors.torch import save_file
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 3))
    model = d / "other-net.safetensors"
    save_file(net.state_dict(), str(model))
    return _clip(d), ["--model", str(model)]


def _empty_model(d):
    model = d / "model.safetensors"
    model.write_bytes(b"")
    return _clip(d), ["--model", str(model)]


REFUSED = {
    "truncated mp4": (_truncated_mp4,
                      "cannot read copied off the card.mp4: not a video, or a damaged or incomplete file"),
    "random bytes .mp4": (_random_bytes, "cannot read clip.mp4: not a video, or a damaged or incomplete file"),
    "audio only": (_audio_only, "song.mp4 has no video stream (it holds only audio)"),
    "png image": (_image("frame.png"), "frame.png is a still image, not a video"),
    "png renamed .mp4": (_image("holiday.mp4"), "holiday.mp4 is a still image, not a video"),
    "zero frames, no stream": (_no_streams, "never recorded.mp4 has no video frames"),
    "zero frames, empty stream": (_no_frames, "stopped at once.mkv has no video frames"),
    "empty file": (_empty_file, "input file is empty"),
    "16x1 frames": (_one_pixel_high, "frames of 16x1 pixels are too small to upscale"),
    "output over the limit": (_too_large, "output 16800x9600 is too large: the limit is 16384 pixels per side"),
    "output is input": (_output_is_input, "output is the input file"),
    "output is input, other spelling, --overwrite": (_output_is_input_overwrite, "output is the input file"),
    "output links to input, --overwrite": (_output_links_to_input, "output is the input file"),
    "model: pickle with code": (_pickle_with_code, "refused to load upscaler.pth: it contains Python objects or code"),
    "model: torch.save with code": (_torch_pickle_with_code,
                                    "refused to load upscaler.pt: it contains Python objects or code"),
    "model: wrong architecture .pth": (_wrong_architecture_pth, "not a SAVSR checkpoint"),
    "model: wrong architecture .safetensors": (_wrong_architecture_safetensors, "not a SAVSR checkpoint"),
    "model: empty file": (_empty_model, "model file is empty"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_with_one_line_and_nothing_touched(case, small_model_file, tmp_path, capsys):
    make, message = REFUSED[case]
    src, extra = make(tmp_path)
    before, src_hash = tree(tmp_path), file_hash(src)
    argv = ["upscale", str(src), "--device", "cpu"]
    argv += [] if "-o" in extra else ["-o", str(tmp_path / "out.mp4")]
    argv += [] if "--model" in extra else ["--model", str(small_model_file)]
    argv += extra if "--scale" in extra else ["--scale", "2"] + extra
    capsys.readouterr()
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 1, captured.err
    assert captured.err.startswith("savsr: error: ") and captured.err.count("\n") == 1, captured.err
    assert message in captured.err, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert file_hash(src) == src_hash  # the input is never modified
    assert tree(tmp_path) == before  # no output, no work folder, no temporary file, no model changed
    assert not (tmp_path / "CODE-RAN").exists()  # a pickled model's code never runs


# ---- valid but odd inputs that must render ---------------------------------------------------

@dataclass
class Odd:
    make: Callable[[Path], Path]  # writes the input under the folder given, returns it
    out: str                       # output path, relative to the same folder
    args: tuple = ("--scale", "2")
    size: tuple[int, int] = (64, 48)  # the output's size as shown (after its rotation flag)
    frames: int | None = 3         # None: as many as the input's decodable frames
    says: tuple[str, ...] = ()     # phrases the user reads on stderr
    check: Callable | None = None  # (src, out, stderr) -> None: what else the user would notice
    compare: bool = True           # the picture is compared with the input's


def _truncated_mkv(d):
    data = make_clip(d / "full.mkv", count=12).read_bytes()
    src = d / "cut.mkv"
    src.write_bytes(data[: int(len(data) * 0.7)])
    (d / "full.mkv").unlink()
    return src


def _check_truncated(src, out, err):
    info = probe(src)
    assert 0 < info.frame_count < 12  # the precondition: frames are really missing
    assert probe(out).frame_count == len(decoded_frames(src))  # every frame that is there
    assert video_timestamps(out) == pytest.approx(video_timestamps(src), abs=1e-3)


def _half_copied_mkv(d):
    data = make_clip(d / "full.mkv", count=60).read_bytes()   # 2.4 s
    src = d / "copy stopped halfway.mkv"
    src.write_bytes(data[: len(data) // 2])
    (d / "full.mkv").unlink()
    return src


def _check_every_frame_there(src, out, err):
    assert 0 < probe(src).frame_count < 60
    assert probe(out).frame_count == len(decoded_frames(src))


def _interlaced(d):
    import av
    src = d / "broadcast.mp4"
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
        v.codec_context.time_base = Fraction(1, 25)
        v.codec_context.options = {"flags": "+ilme+ildct"}  # field coding: frames are flagged interlaced
        for i, rgb in enumerate(footage(32, 24, 3)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    assert probe(src).interlaced  # the precondition: the flag is really read
    return src


def _check_interlaced(src, out, err):
    assert not probe(out).interlaced


def _check_vfr(src, out, err):
    assert probe(out).vfr
    assert video_timestamps(out) == pytest.approx(video_timestamps(src), abs=1e-3)


def _check_rotation(src, out, err):
    info = probe(out)
    assert info.rotation == 90 and (info.width, info.height) == (64, 48)  # turned by the flag, not the pixels


def _check_ten_bit(src, out, err):
    info = probe(out)
    assert (info.bit_depth, info.pix_fmt) == (10, "yuv420p10le")


def _check_untagged(src, out, err):
    assert probe(src).matrix == "unknown"
    info = probe(out)
    assert (info.matrix, info.range) == ("smpte170m", "tv")


def _check_not_rounded(src, out, err):
    assert "rounded" not in err


def _odd_17x9(d):
    return make_clip(d / "odd.mp4", count=3, size=(17, 9), pix_fmt="yuv444p")  # H.264 4:2:0 needs even sizes


def _vfr(d):
    return make_clip(d / "phone vfr.mp4", count=5, pts=[0, 3, 4, 9, 10], time_base=Fraction(1, 30))


def _non_ascii(d):
    (d / "ça va").mkdir()
    return make_clip(d / "ça va" / "clip été 1.mp4", count=3)


ODD = {
    "truncated mkv": Odd(_truncated_mkv, "cut_x2.mkv", frames=None, check=_check_truncated),
    "mkv copy stopped halfway": Odd(_half_copied_mkv, "half_x2.mkv", frames=None, check=_check_every_frame_there,
                                    says=("the input looks cut short: "
                                          "its header says 2.4 s but its video ends after",)),
    "one frame": Odd(lambda d: make_clip(d / "still.mp4", count=1), "out.mp4", frames=1),
    "two frames": Odd(lambda d: make_clip(d / "two.mp4", count=2), "out.mp4", frames=2),
    "three frames": Odd(lambda d: make_clip(d / "three.mp4", count=3), "out.mp4", frames=3),
    "17x9 at x2": Odd(_odd_17x9, "out.mp4", size=(34, 18), check=_check_not_rounded,
                      says=("the input has 4:4:4 colour; the output is 4:2:0 (yuv420p): use --pix-fmt",)),
    "17x9 at x1.5": Odd(_odd_17x9, "out.mp4", ("--scale", "1.5"), size=(26, 14), check=_check_not_rounded),
    "17x9 at x1.7": Odd(_odd_17x9, "out.mp4", ("--scale", "1.7"), size=(28, 16),
                        says=("width 29 rounded to 28: H.264 with yuv420p needs even sizes",
                              "height 15 rounded to 16: H.264 with yuv420p needs even sizes")),
    "2x2": Odd(lambda d: make_clip(d / "dot.mp4", count=2, size=(2, 2), pix_fmt="yuv444p"), "out.mp4",
               size=(4, 4), frames=2, compare=False),
    "rotated phone clip": Odd(lambda d: make_clip(d / "IMG_0042.mov", count=3, rotation=90), "IMG_0042 x2.mov",
                              size=(48, 64), says=("rotation flag 90 degrees kept",), check=_check_rotation),
    "variable frame rate": Odd(_vfr, "out.mp4", frames=5, says=("variable frame rate",), check=_check_vfr),
    "10-bit": Odd(lambda d: make_clip(d / "ten.mkv", count=3, codec="libx265", pix_fmt="yuv420p10le"), "ten_x2.mkv",
                  check=_check_ten_bit),
    "interlaced flag": Odd(_interlaced, "out.mp4", says=("the input is flagged interlaced",), check=_check_interlaced),
    "no colour tags": Odd(lambda d: make_clip(d / "untagged.mp4", count=3), "out.mp4",
                          says=("the input has no colour tags",), check=_check_untagged),
    "non-ascii and spaces": Odd(_non_ascii, "ça va/sortie finale ü.mp4"),
}


def _correlation(a, b) -> float:
    return float(np.corrcoef(a.mean(axis=2).ravel(), b.mean(axis=2).ravel())[0, 1])


def _resized(rgb, width, height):
    import torch
    t = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None]
    t = torch.nn.functional.interpolate(t, size=(height, width), mode="bicubic", align_corners=False)
    return t.clamp(0, 1)[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("case", list(ODD))
def test_odd_but_valid_input_renders(case, small_model_file, tmp_path, capsys):
    odd = ODD[case]
    src = odd.make(tmp_path)
    out = tmp_path / odd.out
    before, src_hash = tree(tmp_path), file_hash(src)
    src_info = probe(src)
    capsys.readouterr()
    rc = main(["upscale", str(src), "-o", str(out), "--model", str(small_model_file), "--device", "cpu",
               *odd.args])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "Traceback" not in captured.err and "error" not in captured.err, captured.err
    frames = src_info.frame_count if odd.frames is None else odd.frames
    noun = "frame" if frames == 1 else "frames"
    assert f"wrote {out}  ({odd.size[0]}x{odd.size[1]}, {frames} {noun}, h264)" in captured.out
    for phrase in odd.says:
        assert phrase in captured.err, captured.err
    info = probe(out)
    assert (*info.display_size, info.frame_count) == (*odd.size, frames)
    assert file_hash(src) == src_hash  # the input is never modified
    assert not (out.parent / f".{out.name}.savsr-work").exists()
    after = tree(tmp_path)
    assert odd.out in after and {k: v for k, v in after.items() if k != odd.out} == before  # nothing else
    if odd.compare:  # each output frame shows its own input frame, upright (small net: no exact match)
        got, want = read_frames(info, range(frames)), read_frames(src_info, range(frames))
        for k, (g, w) in enumerate(zip(got, want)):
            assert _correlation(g, _resized(w, info.width, info.height)) > 0.9, f"frame {k}"
    if odd.check:
        odd.check(src, out, captured.err)
