"""Reduced precision at 3840x2160 output, emulated on the CPU: coordinates must stay in fp32."""
from __future__ import annotations

import math

import pytest
import torch

from engine import load_model
from engine.backends.graph import hr_stage
from engine.backends.precision import grid_error
from engine.resources import default_model_path


def test_fp16_coordinates_drift_at_4k_and_fp32_ones_do_not():
    assert grid_error((1080, 1920), (2.0, 2.0), "fp16") >= 0.25  # what the upsampler would do in fp16
    assert grid_error((1080, 1920), (2.0, 2.0), "bf16") >= 1.0
    assert grid_error((1080, 1920), (2.0, 2.0), "fp32") < 1e-3
    assert grid_error((540, 960), (4.0, 4.0), "fp32") < 1e-3


@pytest.mark.slow
def test_the_hr_stage_holds_with_fp16_features_at_4k(one_torch_thread):
    """fp16-rounded LR-stage outputs through the HR stage at 3840x2160: >= 45 dB against fp32."""
    model = load_model(default_model_path(), torch.device("cpu"))
    g = torch.Generator().manual_seed(0)
    h, w = 1080, 1920
    feat, aligned, st = (torch.randn(1, model.config.num_feat, h, w, generator=g) * 0.5 for _ in range(3))
    lr = torch.rand(1, 7, 3, h, w, generator=g)
    with torch.no_grad():
        ref = hr_stage(model, lr, (2.0, 2.0), feat, aligned, st).clamp(0, 1)
        out = hr_stage(model, lr.half(), (2.0, 2.0), feat.half(), aligned.half(), st.half()).clamp(0, 1)
    assert out.shape == (1, 3, 2160, 3840)
    assert 10 * math.log10(1 / float((out - ref).pow(2).mean())) >= 45
