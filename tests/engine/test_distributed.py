"""Distributed fine-tuning (DDP): one process in-process, and two CPU processes under torchrun.

The multi-GPU case runs the same code with NCCL; here the Gloo backend on the CPU stands in.
"""
from __future__ import annotations

import socket

import pytest
import torch

from engine import SAVSR, load_model, save_model
from engine.train.finetune import FinetuneSettings, finetune, train_state_path

TINY = dict(num_feat=16, w1_num_block=1, w2_num_block=1, n_resgroups=1, n_resblocks=1)
RECIPE = dict(scales=[[2.0, 2.0]], patch=12, batch=2, val_frames=1, val_crop=48)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from helpers.clipmaker import make_clip
    return make_clip(tmp_path_factory.mktemp("ddp") / "court.mp4", count=12, size=(64, 48), audio=None)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    torch.manual_seed(0)
    return save_model(SAVSR(**TINY), tmp_path_factory.mktemp("base") / "tiny.safetensors", {"name": "tiny"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_process_group_writes_the_same_checkpoint_format(clip, base, tmp_path, monkeypatch):
    import torch.distributed as dist

    from engine.train.distributed import finetune_ddp
    for key, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "RANK": "0",
                       "WORLD_SIZE": "1", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "ddp.safetensors"
    dist.init_process_group("gloo")
    try:
        res = finetune_ddp([clip], out, base=base, minutes=None, steps=3, settings=FinetuneSettings(**RECIPE))
    finally:
        dist.destroy_process_group()
    assert res["step"] == 3 and res["stopped"] == "steps" and isinstance(res["gain_db"], float)
    model = load_model(out)
    assert model.metadata["processes"] == 1 and model.metadata["steps"] == 3
    # the single-process fine-tune resumes the distributed run's checkpoint
    assert train_state_path(out).is_file()
    again = finetune([clip], out, base=base, minutes=None, steps=1, settings=FinetuneSettings(**RECIPE),
                     device="cpu", resume=True)
    assert again["step"] == 4 and again["before"] == res["before"]


@pytest.mark.slow
def test_two_cpu_processes_under_torchrun(clip, base, tmp_path):
    import argparse

    from engine.cli.finetune import finetune_argv, launch, register
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    out = tmp_path / "two.safetensors"
    args = parser.parse_args(["finetune", str(clip), "-o", str(out), "--base", str(base), "--steps", "3",
                              "--patch", "12", "--batch", "2", "--nproc", "2", "--quiet"])
    assert "--nproc" not in finetune_argv(args)
    assert launch(finetune_argv(args), 2) == 0
    meta = load_model(out).metadata
    assert meta["processes"] == 2 and meta["steps"] == 3 and meta["base_model"] == "tiny"
