"""The whole-frame degradation mix (issue 26 item 3): a reservoir of large encoded LR regions, VP9,
bitrate control, full-range sources and web re-uploads; and older settings drawing what they always drew.
Real footage: the bundled sample's frames, small crops and few frames."""
from __future__ import annotations

import av
import numpy as np
import pytest
import torch
from helpers.clipmaker import footage

from engine.evaluation.metrics import downsample, psnr_y
from engine.train import TrainConfig, Trainer
from engine.train.data import BatchSampler, Clip, ScaleRange
from engine.train.degrade import (
    Chain,
    CodecSpec,
    Degradation,
    codec_round_trip,
    degrade_frames,
    encode,
    resize_frames,
    run_chain,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

STUDIO = {"clean": 0.25, "codecs": ["h264", "h265"], "codec_weights": [0.7, 0.3], "crf": [18, 38],
          "presets": ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"], "noise": 0.3,
          "noise_sigma": 2.0}
# a small reservoir: 2 groups of 2 regions of up to 96x96 LR pixels, 8 frames, one group re-drawn per step
SMALL = dict(whole_frame=True, groups=2, group_size=2, refresh_steps=1, region=96, entry_frames=8)


def real_frames(width=128, height=72, count=7) -> np.ndarray:
    return np.stack(footage(width, height, count))


def as_float(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0


@pytest.fixture(scope="module")
def clip() -> Clip:
    return Clip("sample", torch.from_numpy(real_frames(320, 180, 12)).permute(0, 3, 1, 2).contiguous())


def batches(sampler, gen, steps):
    return [sampler.draw(step, gen) for step in steps]


def same(a, b) -> bool:
    return all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) and x[2] == y[2] for x, y in zip(a, b))


# ---- the reservoir ------------------------------------------------------------------------------
def test_reservoir_windows_have_the_samplers_shapes_and_exact_geometry(clip):
    """Near-lossless H.264 (CRF 0): each LR window is the downscaled GT crop it is paired with, so an
    offset of one LR pixel (or a wrong GT offset) would show at once."""
    deg = Degradation(clean=0.0, codecs=["h264"], codec_weights=[1.0], crf=[0, 0], presets=["ultrafast"],
                      noise=0.0, **SMALL)
    sampler = BatchSampler([clip], ScaleRange(1.0, 2.5), patch=16, batch=6, degradation=deg)
    gen = torch.Generator().manual_seed(4)
    for step in range(3):
        lr, gt, scale = sampler.draw(step, gen)
        assert lr.shape == (6, 7, 3, 16, 16) and lr.dtype == torch.float32
        assert gt.shape == (6, 3, round(16 * scale[0]), round(16 * scale[1]))
        assert scale == (gt.shape[-2] / 16, gt.shape[-1] / 16)
        for i in range(6):
            ref = downsample(gt[i:i + 1], scale).clamp(0, 1)
            inner = (slice(None), slice(None), slice(3, -3), slice(3, -3))     # the kernel's reach aside
            aligned = psnr_y(lr[i, 3:4][inner], ref[inner])
            shifted = psnr_y(lr[i, 3:4, :, 4:-2, 3:-3], ref[:, :, 3:-3, 3:-3])
            assert aligned > 36 and aligned > shifted + 6, (step, i, aligned, shifted)
    for group in sampler.reservoir.live.values():
        for e in group.entries:
            count, _, h, w = e.lr.shape
            assert count == 8 and h % 16 == 0 and w % 16 == 0 and 16 <= h <= 96 and 16 <= w <= 96
            assert 16 * min(clip.size[0] // group.cell[0], 6) == h       # as many whole patches as fit
    assert sampler.reservoir.built >= 4


def test_the_same_seed_draws_the_same_batches_and_a_resume_rebuilds_the_same_reservoir(clip):
    deg = Degradation(**{**STUDIO, "codecs": ["h264", "h265", "vp9"], "codec_weights": [1, 1, 1],
                         "bitrate": 0.5, "two_pass": 0.5, "full_range": 0.5, "reupload": 0.5, **SMALL})
    make = lambda: BatchSampler([clip], ScaleRange(1.0, 2.5), patch=16, batch=3, degradation=deg)  # noqa: E731
    gen = torch.Generator().manual_seed(11)
    first = batches(make(), gen, range(5))
    again = batches(make(), torch.Generator().manual_seed(11), range(5))
    assert same(first, again)
    assert not same(first, batches(make(), torch.Generator().manual_seed(12), range(5)))
    # a resumed run: a fresh sampler, the generator state after step 2, steps 3 and 4
    gen = torch.Generator().manual_seed(11)
    sampler = make()
    batches(sampler, gen, range(3))
    state = gen.get_state()
    resumed = torch.Generator().manual_seed(11)
    resumed.set_state(state)
    assert same(first[3:], batches(make(), resumed, range(3, 5)))


def test_trainer_resumes_a_whole_frame_run_with_the_same_batches(clip, tmp_path):
    config = TrainConfig(model={"num_feat": 16, "w1_num_block": 2, "w2_num_block": 1, "n_resgroups": 1,
                                "n_resblocks": 1}, patch=12, batch=2, scale_low=2.0, scale_high=2.0, warmup=1,
                         total_steps=50, ema_decay=0.0, checkpoint_every_s=1e9, log_every=1, val_every=0,
                         degradation={**STUDIO, "clean": 0.0, **SMALL})
    ckpt = tmp_path / "checkpoint.pt"
    trainer = Trainer(config, [clip], device="cpu", checkpoint=ckpt)
    trainer.run(steps=2, final_validation=False)
    resumed = Trainer.resume(ckpt, [clip], device="cpu")
    for _ in range(2):
        a = trainer.sampler.draw(trainer.step, trainer.gen)
        b = resumed.sampler.draw(resumed.step, resumed.gen)
        assert same([a], [b])
        trainer.step += 1
        resumed.step += 1


# ---- the chain options --------------------------------------------------------------------------
def test_vp9_encodes_and_decodes_with_artifacts_that_grow_with_the_crf():
    clean = real_frames()
    psnr = {crf: psnr_y(as_float(codec_round_trip(clean, CodecSpec("vp9", crf, "ultrafast"))), as_float(clean))
            for crf in (20.0, 55.0)}
    assert 30 < psnr[20.0] < 60 and 20 < psnr[55.0] < psnr[20.0] - 2
    assert not np.array_equal(codec_round_trip(clean, CodecSpec("vp9", 55.0, "ultrafast")), clean)


def _decoded_y(frames: np.ndarray, spec: CodecSpec) -> list:
    dec = av.CodecContext.create({"h264": "h264", "h265": "hevc", "vp9": "vp9"}[spec.codec], "r")
    out = []
    for packet in encode(frames, spec):
        out += dec.decode(packet)
    return out + dec.decode(None)


@pytest.mark.parametrize("codec", ["h264", "h265", "vp9"])
def test_a_full_range_source_is_flagged_full_range_and_uses_the_whole_8_bit_scale(codec):
    frames = real_frames(128, 80, 3).copy()
    frames[:, :, :32] = 0                         # black and white bars: video range puts them at 16 / 235
    frames[:, :, 32:64] = 255
    full, limited = CodecSpec(codec, 20.0, "fast", full_range=True), CodecSpec(codec, 20.0, "fast")
    for spec, low, high in ((full, 0, 255), (limited, 16, 235)):
        decoded = _decoded_y(frames, spec)
        y = decoded[0].to_ndarray()[:80]                # the Y plane as coded (yuv420p: Y, then U, V)
        assert (decoded[0].color_range == 2) == spec.full_range
        assert abs(int(y[:, 4:28].mean()) - low) <= 2 and abs(int(y[:, 36:60].mean()) - high) <= 2
        rgb = np.stack([f.to_ndarray(format="rgb24") for f in decoded])
        assert np.abs(rgb[:, :, 4:28].astype(int)).mean() < 3 and np.abs(255 - rgb[:, :, 36:60].astype(int)).mean() < 3
    assert not np.array_equal(codec_round_trip(frames, full), codec_round_trip(frames, limited))


def test_a_web_reupload_loses_detail_that_one_encode_keeps():
    clean = real_frames(160, 96, 5)
    spec = CodecSpec("h264", 20.0, "fast")
    once = run_chain(clean, Chain([spec]))
    reupload = run_chain(clean, Chain([spec, spec], resize=0.5))
    assert reupload.shape == clean.shape
    one, two = psnr_y(as_float(once), as_float(clean)), psnr_y(as_float(reupload), as_float(clean))
    bicubic = psnr_y(as_float(resize_frames(resize_frames(clean, (48, 80)), (96, 160))), as_float(clean))
    assert two < one - 3 and two < bicubic + 0.5      # the detail went with the downscale


def test_a_target_bitrate_sets_the_size_in_one_pass_and_in_two():
    clean = real_frames(128, 96, 9)
    for rate in ("vbv", "2pass"):
        sizes = {bpp: sum(p.size for p in encode(clean, CodecSpec("h264", 0.0, "fast", rate=rate, bpp=bpp, peak=1.5)))
                 * 8 / clean[..., 0].size for bpp in (0.08, 0.4)}
        assert sizes[0.08] < sizes[0.4] / 2, (rate, sizes)
        assert 0.2 < sizes[0.4] / 0.4 < 2.0, (rate, sizes)
    vp9 = sum(p.size for p in encode(clean, CodecSpec("vp9", 0.0, "fast", rate="vbv", bpp=0.1, peak=1.5)))
    assert vp9 > 0
    # tiny frames at a low rate: x264 refuses such a second pass; the rate is raised until it accepts
    assert degrade_frames(clean[:, :32, :32], CodecSpec("h264", 0.0, "fast", rate="2pass", bpp=0.01)).shape == \
        (9, 32, 32, 3)


def test_small_h265_frames_are_encoded_deterministically():
    """libx265 reads memory it never wrote on frames one 64-pixel CTU high or wide; chains pad them."""
    frames = real_frames(64, 64, 7)
    noisy = np.clip(frames + np.random.default_rng(0).normal(0, 3, frames.shape), 0, 255).round().astype(np.uint8)
    outs = {run_chain(noisy, Chain([CodecSpec("h265", 31.0, "medium")])).tobytes() for _ in range(4)}
    assert len(outs) == 1


def test_chains_are_drawn_from_the_seed_and_use_every_option():
    deg = Degradation(codecs=["h264", "h265", "vp9"], codec_weights=[1, 1, 1], bitrate=0.5, two_pass=0.5,
                      full_range=0.5, reupload=0.5)
    gen = torch.Generator().manual_seed(0)
    chains = [deg.draw_chain(gen) for _ in range(200)]
    specs = [s for c in chains for s in c.specs]
    assert {s.codec for s in specs} == {"h264", "h265", "vp9"}
    assert {s.rate for s in specs} == {"crf", "vbv", "2pass"}
    assert not any(s.rate == "2pass" for s in specs if s.codec == "vp9")      # libvpx: no 2 passes via PyAV
    assert 0.3 < np.mean([s.full_range for s in specs]) < 0.7
    assert 0.3 < np.mean([c.resize < 1 for c in chains]) < 0.7
    assert all(0.5 <= c.resize <= 0.9 for c in chains if c.resize < 1)
    assert all(30 <= s.crf <= 50 for s in specs if s.codec == "vp9")
    assert all(18 <= s.crf <= 38 for s in specs if s.codec != "vp9")
    again = [deg.draw_chain(torch.Generator().manual_seed(0)) for _ in range(1)]
    assert str(again[0]) == str(chains[0])
    lr = as_float(real_frames(64, 64))
    a = deg.apply(lr, torch.Generator().manual_seed(3))
    assert torch.equal(a, deg.apply(lr, torch.Generator().manual_seed(3)))


# ---- older settings: exactly the frames they drew before -------------------------------------------
class OldPath:
    """The per-sample path as it was before the whole-frame mix (commit b6c3ae1), kept verbatim in
    behaviour: Degradation.draw + apply and BatchSampler.degraded_sample/draw."""

    def __init__(self, sampler: BatchSampler, deg: dict):
        self.s, self.d = sampler, deg

    def draw_spec(self, gen):
        d = self.d
        u = torch.rand(5, generator=gen).tolist()
        if u[0] < d["clean"]:
            return None, 0.0
        weights = torch.tensor(d["codec_weights"], dtype=torch.float64)
        codec = d["codecs"][int(torch.multinomial(weights, 1, generator=gen))]
        crf = round(d["crf"][0] + (d["crf"][1] - d["crf"][0]) * u[1])
        preset = d["presets"][min(int(u[2] * len(d["presets"])), len(d["presets"]) - 1)]
        sigma = d["noise_sigma"] * u[4] if u[3] < d["noise"] else 0.0
        return CodecSpec(codec, float(crf), preset), sigma

    def apply(self, lr, gen):
        spec, sigma = self.draw_spec(gen)
        if spec is None:
            return lr
        x = lr * 255.0
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=gen)
        frames = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
        return torch.from_numpy(degrade_frames(frames, spec, self.d["pix_fmt"])).permute(0, 3, 1, 2).float() / 255.0

    def draw(self, step, gen):
        s = self.s
        s_h, s_w = s.scales.draw(step, gen)
        gt_size = (round(s.patch * s_h), round(s.patch * s_w))
        scale = (gt_size[0] / s.patch, gt_size[1] / s.patch)
        lr, gt = [], []
        for _ in range(s.batch):
            k = s.region
            region = s.sample((k * gt_size[0], k * gt_size[1]), gen)
            x = self.apply(downsample(region, scale).clamp(0, 1), gen)
            qy, qx = torch.randint(k, (2,), generator=gen).tolist()
            p, (gh, gw) = s.patch, gt_size
            lr.append(x[:, :, qy * p:(qy + 1) * p, qx * p:(qx + 1) * p].contiguous())
            gt.append(region[s.num_frame // 2, :, qy * gh:(qy + 1) * gh, qx * gw:(qx + 1) * gw].contiguous())
        return torch.stack(lr), torch.stack(gt), scale


def test_older_settings_draw_exactly_the_frames_they_drew_before(clip):
    """Real encodes where libx264/libx265 are deterministic: ultrafast (no macroblock-tree) and 80x80
    regions (libx265 is not deterministic on frames of one CTU)."""
    settings = {**STUDIO, "presets": ["ultrafast"], "noise": 0.5}
    deg = Degradation(**settings)
    sampler = BatchSampler([clip], ScaleRange(1.0, 2.0), patch=40, batch=3, degradation=deg)
    assert sampler.reservoir is None and sampler.region == 2
    old = OldPath(sampler, {**Degradation().__dict__, **settings})
    new_gen, old_gen = torch.Generator().manual_seed(21), torch.Generator().manual_seed(21)
    for step in range(3):
        assert same([sampler.draw(step, new_gen)], [old.draw(step, old_gen)])
    assert torch.equal(new_gen.get_state(), old_gen.get_state())


@pytest.mark.parametrize("settings", [{}, STUDIO, {"clean": 0.1, "codecs": ["h265"], "codec_weights": [1.0],
                                                    "crf": [26, 30], "presets": ["medium"], "noise": 0.0,
                                                    "pix_fmt": "yuv420p10le"}])
def test_older_settings_make_the_same_draws_and_the_same_encoder_calls(clip, settings, monkeypatch):
    """Every preset: the same random draws, the same frames handed to the codec with the same spec, the
    same encoder options (the encoders themselves are stood in for: libx264's macroblock-tree is not
    deterministic, see codecs.chain_frames)."""
    from engine.train import codecs

    calls = []

    def codec(frames, spec, pix_fmt="yuv420p"):
        calls.append((spec.codec, spec.crf, spec.preset, pix_fmt, frames.tobytes()))
        enc = codecs._open_encoder(spec, frames.shape[2], frames.shape[1], pix_fmt)
        x264 = {"threads": "1"} if spec.codec == "h264" else {
            "x265-params": "log-level=none:pools=none:frame-threads=1"}
        assert dict(enc.options) == {"crf": f"{spec.crf:g}", "preset": spec.preset, **x264}
        return (frames // 8 * 8 + int(spec.crf) % 7).astype(np.uint8)

    monkeypatch.setattr(codecs, "codec_round_trip", codec)
    deg = Degradation(**settings)
    assert not deg.extended and not deg.whole_frame
    assert set(deg.to_dict()) == {"clean", "codecs", "codec_weights", "crf", "presets", "noise", "noise_sigma",
                                  "pix_fmt"}
    sampler = BatchSampler([clip], ScaleRange(1.0, 2.5), patch=32, batch=4, degradation=deg)
    old = OldPath(sampler, {**Degradation().__dict__, **settings})
    new_gen, old_gen = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    for step in range(3):
        start = len(calls)
        got = sampler.draw(step, new_gen)
        mine = calls[start:]
        assert same([got], [old.draw(step, old_gen)])
        assert calls[start + len(mine):] == mine
    assert len(calls) > 4
    lr = as_float(real_frames(64, 64))
    for seed in range(4):
        assert torch.equal(deg.apply(lr, torch.Generator().manual_seed(seed)),
                           old.apply(lr, torch.Generator().manual_seed(seed)))


REPRO = """
import hashlib, sys, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, "tests")
from helpers.clipmaker import footage
from engine.train.data import BatchSampler, Clip, ScaleRange
from engine.train.degrade import Degradation
clip = Clip("s", torch.from_numpy(np.stack(footage(320, 180, 12))).permute(0, 3, 1, 2).contiguous())
deg = Degradation(clean=0.0, codecs=["h264"], codec_weights=[1.0], presets=["fast", "medium"], noise=1.0,
                  noise_sigma=4.0, whole_frame=True, groups=2, group_size=2, refresh_steps=1, region=160,
                  entry_frames=7)
s = BatchSampler([clip], ScaleRange(1.0, 1.0), patch=16, batch=4, degradation=deg)
g = torch.Generator().manual_seed(0)
print(hashlib.md5(b"".join(s.draw(step, g)[0].numpy().tobytes() for step in range(3))).hexdigest())
"""


def test_the_whole_frame_mix_does_not_depend_on_the_heap():
    """libx264 with its macroblock-tree reads memory it never wrote (here: noisy 160x160 regions; the
    per-sample path of older settings draws different batches in two such processes); two processes
    whose fresh heap memory holds different bytes must still draw the same batches."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    digests = set()
    for fill in ("85", "170"):
        env = {**os.environ, "MALLOC_PERTURB_": fill, "OMP_NUM_THREADS": "1"}
        out = subprocess.run([sys.executable, "-c", REPRO], cwd=root, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        digests.add(out.stdout.strip().splitlines()[-1])
    assert len(digests) == 1


def test_codec_spec_text_is_unchanged_for_plain_settings():
    assert str(CodecSpec("h264", 28.0)) == "h264:28" and CodecSpec.parse("h265:33:fast").plain
    assert "vbv" in str(CodecSpec("vp9", 0.0, rate="vbv", bpp=0.1, peak=1.5))


def test_the_stored_configs_keep_their_mix_and_the_new_one_differs_only_in_it():
    import json
    from pathlib import Path

    configs = Path(__file__).resolve().parents[2] / "training" / "configs"
    stored = {p.name: json.loads(p.read_text()) for p in sorted(configs.glob("*.json"))}
    for name, config in stored.items():
        if "wholeframe" not in name and config.get("degradation"):   # the whole-frame mix and its continuations
            deg = Degradation(**config["degradation"])
            assert not deg.extended and not deg.whole_frame and deg.to_dict().keys() <= set(STUDIO) | {"pix_fmt"}
    new, old = stored["compressed24_wholeframe.json"], stored["compressed24_widened.json"]
    assert {k: v for k, v in new.items() if k != "degradation"} == {k: v for k, v in old.items() if k != "degradation"}
    deg = Degradation(**new["degradation"])
    assert deg.whole_frame and deg.extended
    TrainConfig.from_dict(new)
