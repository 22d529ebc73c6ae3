"""The GPU checks of the engine, as one short script for a machine with an NVIDIA GPU (< 8 min).

1. Parity on CUDA: every case of ``../shared/savsr/parity_small.pt`` in fp32 (max abs
   difference <= 1e-4, both paths) and the fp16 / bf16 outputs' PSNR against fp32.
2. Speed and peak VRAM, plain vs fast, default config, LR 540x960 -> x2 and 270x480 -> x4,
   via ``engine_speed.py`` (one subprocess per measurement).
3. Backends on CUDA (:mod:`engine.backends`): every backend that runs on the GPU (torch, and
   onnxruntime where ``onnxruntime-gpu`` is installed) on the parity fixture (fp32 <= 1e-4), then
   the bundled model and the default config at 1080p (540x960 -> x2) and 4K (1080x1920 -> x2)
   output: seconds per frame, the ratio to torch, and the fp16 torch backend's PSNR against fp32
   (its coordinates stay fp32; see ``engine/backends/precision.py``).

    python benchmarks/gpu_check.py [--fixture ../shared/savsr/parity_small.pt]

Exits non-zero if a parity check fails.
"""
from __future__ import annotations

import argparse
import math
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import SAVSR  # noqa: E402


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = (a.float().clamp(0, 1) - b.float().clamp(0, 1)).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(1 / mse)


def parity(fixture: Path) -> bool:
    d = torch.load(fixture, weights_only=True)
    model = SAVSR(**d["config"])
    model.load_state_dict(d["state_dict"], strict=True)
    model = model.cuda().eval()
    ok = True
    with torch.inference_mode():
        for fast in (False, True):
            model.use_fast_path(fast)
            worst = max((model(d["inputs"][c["input"]].cuda(), c["scale"]).cpu() - c["output"]).abs().max().item()
                        for c in d["cases"])
            ok &= worst <= 1e-4
            print(f"parity fp32 {'fast' if fast else 'plain'}: max abs diff {worst:.2e} "
                  f"({'ok' if worst <= 1e-4 else 'FAIL'})")
        model.use_fast_path(True)
        for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
            worst = math.inf
            for c in d["cases"]:
                lr = d["inputs"][c["input"]].cuda()
                ref = model(lr, c["scale"])
                with torch.autocast("cuda", dtype=dtype):
                    out = model(lr, c["scale"])
                worst = min(worst, psnr(out, ref))
            target = 50 if name == "fp16" else 40
            ok &= name != "fp16" or worst >= target
            print(f"{name} vs fp32: worst-case PSNR {worst:.1f} dB (target >= {target} dB)")
    return ok


def backends(fixture: Path) -> bool:
    """Parity and speed of every backend that runs on CUDA, side by side."""
    import time

    from engine import load_model
    from engine.backends import Accelerated, installed_backends
    from engine.backends.runtimes import RUNTIMES
    dev = torch.device("cuda:0")
    names = [b for b in installed_backends() if b == "torch" or RUNTIMES[b].supports(dev)]
    print(f"\nbackends on CUDA: {', '.join(names)} (installed: {', '.join(installed_backends())})")
    d = torch.load(fixture, weights_only=True)
    small = SAVSR(**d["config"])
    small.load_state_dict(d["state_dict"], strict=True)
    small = small.to(dev).eval()
    ok = True
    for b in names:
        net = Accelerated(small, b, dev, note=lambda m: print(f"  note: {m}"))
        with torch.inference_mode():
            worst = max((net(d["inputs"][c["input"]].to(dev), c["scale"]).cpu() - c["output"]).abs().max().item()
                        for c in d["cases"])
        ok &= worst <= 1e-4
        print(f"parity fp32 {b} ({net.backend}): max abs diff {worst:.2e} ({'ok' if worst <= 1e-4 else 'FAIL'})")
    models = {"bundled": load_model(None, dev), "default (18.9 M)": SAVSR().to(dev).eval()}
    for label, model in models.items():
        for h, w in ((540, 960), (1080, 1920)):
            lr = torch.rand(1, 7, 3, h, w, device=dev)
            with torch.inference_mode():
                ref = model(lr, 2.0)
            line = []
            for b, precision in [(b, "fp32") for b in names] + [("torch", "fp16")]:
                net = Accelerated(model, b, dev, precision, note=lambda m: print(f"  note: {m}"))
                t0 = time.perf_counter()
                net.prepare(h, w)
                prep = time.perf_counter() - t0
                with torch.inference_mode():
                    out = net(lr, 2.0)
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    for _ in range(3):
                        out = net(lr, 2.0)
                    torch.cuda.synchronize()
                sec = (time.perf_counter() - t0) / 3
                line.append(f"{b} {precision}: {sec:.3f} s/frame (prepare {prep:.0f} s), "
                            f"{psnr(out, ref):.1f} dB vs fp32 torch")
            print(f"{label} {h}x{w} -> x2: " + "; ".join(line), flush=True)
            del lr, ref
            torch.cuda.empty_cache()
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fixture", type=Path, default=ROOT.parent / "shared" / "savsr" / "parity_small.pt")
    p.add_argument("--skip-bench", action="store_true")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA GPU visible")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    torch.backends.cudnn.benchmark = True
    ok = parity(args.fixture)
    ok &= backends(args.fixture)
    if not args.skip_bench:
        for precision in ("fp32", "fp16"):
            print(f"\nbenchmark, {precision}:", flush=True)
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine_speed.py"), "--device", "cuda",
                            "--configs", "default", "--sizes", "540x960@2,270x480@4", "--repeat", "3",
                            "--precision", precision], check=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
