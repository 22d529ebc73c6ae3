"""Training footage: discovery, exclusions, video files, and the shapes of augmented batches."""
from __future__ import annotations

import av
import numpy as np
import pytest
import torch

from engine.train import BatchSampler, DataError, ScaleRange, load_clip
from engine.train.data import find_clip_paths


def test_a_vimeo_tree_gives_one_clip_per_septuplet_and_exclusions_apply(data_dir):
    paths = find_clip_paths([data_dir / "vimeo_septuplet"])
    assert len(paths) == 16 and all(len(list(p.glob("im*.png"))) == 7 for p in paths)
    davis = find_clip_paths([data_dir / "davis480"], exclude=["blackswan", "goat"])
    names = {p.name for p in davis}
    assert "blackswan" not in names and "goat" not in names and "camel" in names


def test_frame_folders_and_septuplets_are_found_and_exclusions_apply(footage_dir, tmp_path):
    """The same discovery rules on a small tree laid out like Vimeo-90K and DAVIS, from real frames."""
    frames = sorted(footage_dir.glob("*.png"))
    for seq, sub in [("00001", "0001"), ("00001", "0002"), ("00002", "0001")]:
        folder = tmp_path / "vimeo" / seq / sub
        folder.mkdir(parents=True)
        for i, frame in enumerate(frames[:7], 1):
            (folder / f"im{i}.png").symlink_to(frame)
    for name in ["blackswan", "camel", "goat"]:
        (tmp_path / "davis" / name).mkdir(parents=True)
        (tmp_path / "davis" / name / "00000.png").symlink_to(frames[0])
    paths = find_clip_paths([tmp_path / "vimeo"])
    assert [p.relative_to(tmp_path / "vimeo").as_posix() for p in paths] == ["00001/0001", "00001/0002", "00002/0001"]
    davis = find_clip_paths([tmp_path / "davis"], exclude=["blackswan", "goat"])
    assert [p.name for p in davis] == ["camel"]


def test_a_video_file_is_a_clip(footage_dir, tmp_path):
    src = load_clip(footage_dir, max_frames=8)
    path = tmp_path / "clip ü.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "bgr0"
        for f in src.frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(f.permute(1, 2, 0).numpy()), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    clip = load_clip(path)
    assert clip.frames.shape == (8, 3, 180, 320)
    assert (clip.frames.float() - src.frames.float()).abs().mean() < 2.0


def test_batches_have_the_drawn_asymmetric_scale(footage_dir):
    clip = load_clip(footage_dir, max_frames=20)
    sampler = BatchSampler([clip], ScaleRange(1.0, 4.0), patch=16, batch=3)
    gen = torch.Generator().manual_seed(3)
    for step in range(6):
        lr, gt, (s_h, s_w) = sampler.draw(step, gen)
        assert lr.shape == (3, 7, 3, 16, 16)
        assert gt.shape == (3, 3, round(16 * s_h), round(16 * s_w))
        assert 1.0 <= s_h <= 4.0 and 1.0 <= s_w <= 4.0
        assert 0.0 <= lr.min() and lr.max() <= 1.0


def test_integer_scales_first():
    scales = ScaleRange(1.0, 4.0, integer_steps=5)
    gen = torch.Generator().manual_seed(0)
    early = [scales.draw(i, gen) for i in range(5)]
    assert all(s_h == s_w and s_h in (1, 2, 3, 4) for s_h, s_w in early)


def test_frames_too_small_for_the_scale_are_refused(footage_dir):
    clip = load_clip(footage_dir, max_frames=7)
    with pytest.raises(DataError, match="smaller than"):
        BatchSampler([clip], ScaleRange(1.0, 8.0), patch=64, batch=2)
