"""The bundled default model loads through engine.load_model() and beats bicubic on real held-out footage."""
from __future__ import annotations

import pytest
import torch

from engine import load_model
from engine.resources import default_model_path
from engine.train import load_clip, validate


@pytest.fixture(scope="module")
def bundled():
    path = default_model_path()
    if path is None:
        pytest.skip("no bundled model in resources/models (train one: see docs/training.md)")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_model()
    torch.set_num_threads(n)


def test_bundled_model_is_small_and_describes_itself(bundled):
    assert sum(p.numel() for p in bundled.parameters()) < 5_000_000
    assert default_model_path().stat().st_size < 20 * 2 ** 20
    assert bundled.metadata["trained_steps"] > 0 and bundled.metadata["training_data"]
    assert not any("basketballpass" in name for name in bundled.metadata["training_data"])


@pytest.mark.parametrize("scale", [(2.0, 2.0), (1.5, 4.0)])
def test_bundled_model_beats_bicubic_on_a_held_out_clip(bundled, data_dir, scale):
    # BasketballPass is in the validation split: the model never trained on it
    clip = load_clip(data_dir / "basketballpass", max_frames=14)
    [result] = validate(bundled, [clip], [scale], frames=2, crop=200)
    assert result["psnr"] > result["bicubic"] + 0.2, result
