"""``savsr compare`` and engine.preview.compare: the SAVSR half is the render's frame, pixel for pixel.

The tiles of engine.preview.tiles are bit-identical to a lossless render (test_preview_tiles.py), so
the still's "after" half is compared exactly with the PNG render of the same job; the clip, which
goes through H.264, is compared by PSNR.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers.clipmaker import decoded_frames, file_hash, make_clip

from engine.cli import main
from engine.preview.compare import Comparison, compose, frame_pair
from engine.preview.labels import label_size, text_mask
from engine.preview.tiles import Region, resize
from engine.render.job import RenderJob
from engine.render.renderer import render
from engine.video import probe, read_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("compare") / "clip é.mp4", count=5, size=(48, 32))


@pytest.fixture(scope="module")
def job(clip, small_model_file):
    return RenderJob(input=str(clip), output="", scale_w=2.0, scale_h=1.5, model=str(small_model_file),
                     device="cpu", backend="torch", tile=32)                      # 96x48 in several tiles


@pytest.fixture(scope="module")
def rendered(job, tmp_path_factory):
    """Every frame of a lossless (PNG) render of ``job``, uint8 RGB."""
    out = tmp_path_factory.mktemp("render") / "frames"
    render(dataclasses.replace(job, output=str(out), codec="png"))
    return [decoded_frames(out / f"frame_{i + 1:06d}.png")[0].to_ndarray(format="rgb24") for i in range(5)]


def read_png(path) -> np.ndarray:
    return decoded_frames(path)[0].to_ndarray(format="rgb24")


def compare(small_model_file, clip, *args) -> int:
    return main(["compare", str(clip), *map(str, args), "--width-scale", "2", "--height-scale", "1.5",
                 "--model", str(small_model_file), "--device", "cpu", "--backend", "torch", "--tile", "32"])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def test_side_by_side_still_is_bicubic_beside_the_rendered_frame(small_model_file, clip, rendered, tmp_path, capsys):
    out = tmp_path / "frame 3.png"
    assert compare(small_model_file, clip, "-o", out, "--frame", 3, "--no-labels") == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}  (192x48, frame 3, bicubic | SAVSR side by side)")
    image = read_png(out)
    assert image.shape == (48, 2 * 96, 3)                                # twice the output width
    assert np.array_equal(image[:, 96:], rendered[3])                   # the render's frame, bit for bit
    source = read_frames(str(clip), [3])[0]
    assert np.array_equal(image[:, :96], resize(source, (48, 96), "bicubic"))
    assert [p.name for p in tmp_path.iterdir()] == ["frame 3.png"]      # no temporary file left


def test_split_still_at_a_time_with_labels(small_model_file, clip, rendered, tmp_path, capsys):
    out = tmp_path / "split.png"
    assert compare(small_model_file, clip, "-o", out, "--at", "0.08", "--layout", "split", "--split", "0.25") == 0
    image = read_png(out)
    assert image.shape == (48, 96, 3)                                    # one frame wide
    x, top = 24, 3 * label_size(48) + 11 * label_size(48)                # the divider; below the labels
    assert np.array_equal(image[top:, x + 2:], rendered[2][top:, x + 2:])    # frame 2 is shown at 0.08 s
    assert not np.array_equal(image[:top, x + 2:], rendered[2][:top, x + 2:])  # the "SAVSR" label
    assert (image[:, x] == 255).all()                                    # the divider


def test_labels_cover_only_their_boxes(job):
    before, after = frame_pair(job, 1)
    plain = compose(before, after, Comparison(labels=False))
    labelled = compose(before, after, Comparison())
    changed = np.argwhere((plain != labelled).any(axis=2))
    size = label_size(48)
    height, width = 7 * size + 4 * size, text_mask("SAVSR", size).shape[1] + 4 * size
    assert changed[:, 0].max() < 3 * size + height                      # rows: only the label boxes
    right = changed[changed[:, 1] >= 96]
    assert right[:, 1].min() >= 96 + 3 * size and right[:, 1].max() < 96 + 3 * size + width
    assert (labelled[3 * size + 2 * size:3 * size + 9 * size, 96:] == 255).any()     # white letters


def test_a_region_is_that_part_of_the_whole_frame(job):
    before, after = frame_pair(job, 2)
    box = Region(40, 10, 30, 20)
    part_before, part_after = frame_pair(job, 2, box)
    assert np.array_equal(part_after, after[10:30, 40:70]) and np.array_equal(part_before, before[10:30, 40:70])


def test_comparison_clip_is_rendered_by_the_renderer(small_model_file, clip, rendered, tmp_path, capsys):
    out = tmp_path / "client.mp4"
    before = file_hash(clip)
    assert compare(small_model_file, clip, "-o", out, "--frame", 1, "--seconds", "0.12", "--no-labels", "-q") == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}  (192x48, 3 frames from frame 1, ")
    info = probe(out)
    assert (info.width, info.height, info.frame_count, info.codec) == (192, 48, 3, "h264")
    frames = [f.to_ndarray(format="rgb24") for f in decoded_frames(out)]
    for k, frame in enumerate(frames):
        assert psnr(frame[:, 96:], rendered[1 + k]) > 35                  # H.264 of the render's frames
    assert [p.name for p in tmp_path.iterdir()] == ["client.mp4"]        # the work folder is gone
    assert file_hash(clip) == before


def test_an_odd_size_clip_is_computed_at_the_render_size(small_model_file, tmp_path, capsys):
    """H.264 needs even sizes: 30 x 1.5 = 45 rows become 46 (the network runs at 46/30), in the still
    and in the clip alike; the clip's SAVSR half is the still's frame through H.264."""
    odd = make_clip(tmp_path / "odd.mp4", count=3, size=(48, 30), audio=None)
    job = RenderJob(input=str(odd), output="", scale_w=1.5, scale_h=1.5, model=str(small_model_file),
                    device="cpu", backend="torch")
    _before, after = frame_pair(job, 1)
    assert after.shape == (46, 72, 3)
    out = tmp_path / "odd.mkv"
    assert main(["compare", str(odd), "-o", str(out), "--scale", "1.5", "--frame", "1", "--seconds", "0.04",
                 "--no-labels", "--model", str(small_model_file), "--device", "cpu", "--backend", "torch",
                 "-q"]) == 0
    frames = decoded_frames(out)
    assert len(frames) == 1 and (frames[0].width, frames[0].height) == (144, 46)
    assert psnr(frames[0].to_ndarray(format="rgb24")[:, 72:], after) > 30      # 4:2:0 on a tiny frame


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/x.jpg"], "output 'x.jpg' needs .png for a still, or .mp4, .mov or .mkv for a clip"),
    (["-o", "{tmp}/x.png", "--seconds", "2"], "--seconds makes a clip: give a .mp4, .mov or .mkv output"),
    (["-o", "{tmp}/x.png", "--frame", "5"], "frame 5 is outside the clip (0 to 4)"),
    (["-o", "{tmp}/x.png", "--at", "9"], "9 s is outside the clip"),
    (["-o", "{tmp}/x.png", "--region", "1,2"], "--region must look like X,Y,W,H"),
    (["-o", "{tmp}/x.png", "--region", "500,0,10,10"], "the region 500,0,10,10 lies outside the 96x48 output"),
    (["-o", "{tmp}/x.png", "--split", "1.5", "--layout", "split"], "the split position 1.5 is outside the frame"),
    (["-o", "{tmp}/no/x.png"], "output folder does not exist"),
    (["-o", "{tmp}/old.png"], "output file already exists"),
])
def test_mistakes_are_one_line_and_write_nothing(small_model_file, clip, tmp_path, capsys, args, message):
    (tmp_path / "old.png").write_bytes(b"old")
    rc = compare(small_model_file, clip, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and err.startswith("savsr: error: ") and message in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["old.png"] and (tmp_path / "old.png").read_bytes() == b"old"

