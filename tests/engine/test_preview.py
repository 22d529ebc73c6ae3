"""engine.preview.tiles: the SAVSR of a region equals that region of the full-frame result."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import SAVSR
from engine.preview.tiles import FrameCache, PreviewCancelled, Region, lr_box, output_hw, resize, upscale_region


@pytest.fixture(scope="module")
def small(parity_fixture):
    model = SAVSR(**parity_fixture["config"])
    model.load_state_dict(parity_fixture["state_dict"])
    lr = next(iter(parity_fixture["inputs"].values()))          # (1, 7, 3, h, w), real footage
    return model.eval(), lr


@pytest.mark.parametrize("scale", [(2.5, 1.75), (1.33, 3.1)])
def test_region_matches_the_full_frame(small, scale):
    model, lr = small
    with torch.inference_mode():
        full = model(lr, scale)[0].clamp(0, 1)
    H, W = full.shape[-2:]
    region = Region(W // 4, H // 3, W // 2, H // 3)
    part = upscale_region(model, lr[0].permute(0, 2, 3, 1).numpy(), scale, region)
    ref = (full[:, region.y:region.y + region.h, region.x:region.x + region.w].permute(1, 2, 0).numpy() * 255
           + 0.5).astype(np.uint8)
    assert part.shape == (region.h, region.w, 3)
    assert np.abs(part.astype(int) - ref.astype(int)).max() <= 1


def test_lr_box_starts_on_the_scale_step():
    y0, y1, x0, x1 = lr_box(Region(301, 97, 200, 100), (2.5, 1.75), (480, 854))
    assert y0 % 2 == 0 and x0 % 4 == 0                        # 2.5 * 2 and 1.75 * 4 are whole
    assert y0 * 2.5 <= 97 and (y1 - 1) * 2.5 >= 197 and x0 * 1.75 <= 301


def test_stale_request_stops_the_forward_pass(small):
    model, lr = small
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(PreviewCancelled):
        upscale_region(model, lr[0].permute(0, 2, 3, 1).numpy(), (2.0, 2.0), Region(0, 0, 40, 40),
                       cancelled=cancelled)
    assert len(calls) == 4
    assert all(not m._forward_pre_hooks for m in model.modules())   # hooks removed afterwards


def test_resize_and_frame_cache():
    frame = np.random.default_rng(0).random((20, 30, 3), dtype=np.float32)
    assert resize(frame, output_hw(20, 30, (2.0, 1.5))).shape == (40, 45, 3)
    near = resize(frame, (40, 60), "nearest")
    assert np.array_equal(near[::2, ::2], (frame * 255 + 0.5).astype(np.uint8))
    reads = []

    def read(indices):
        reads.append(list(indices))
        return [np.full((2, 3, 3), i, np.float32) for i in indices]

    cache = FrameCache(read, frame_count=10, rotation=90)
    window = cache.window(0)
    assert [int(f[0, 0, 0]) for f in window] == [3, 2, 1, 0, 1, 2, 3]     # reflected at the start
    assert window[0].shape == (3, 2, 3)                                  # rotated for display
    cache.window(1)
    assert reads == [[0, 1, 2, 3], [4]]
