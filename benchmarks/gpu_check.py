"""The GPU checks of the engine, as one short script for a machine with an NVIDIA GPU (< 8 min).

1. Parity on CUDA: every case of ``../shared/savsr/parity_small.pt`` in fp32 (max abs
   difference <= 1e-4, both paths) and the fp16 / bf16 outputs' PSNR against fp32.
2. Speed and peak VRAM, plain vs fast, default config, LR 540x960 -> x2 and 270x480 -> x4,
   via ``engine_speed.py`` (one subprocess per measurement).

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
    if not args.skip_bench:
        for precision in ("fp32", "fp16"):
            print(f"\nbenchmark, {precision}:", flush=True)
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine_speed.py"), "--device", "cuda",
                            "--configs", "default", "--sizes", "540x960@2,270x480@4", "--repeat", "3",
                            "--precision", precision], check=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
