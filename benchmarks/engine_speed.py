"""Plain vs fast inference path: time and peak memory per output frame.

Each measurement runs in a fresh subprocess so its peak memory (max RSS on CPU, max
allocated on CUDA) is its own. Prints a Markdown table.

    python benchmarks/engine_speed.py                    # default + small config, CPU
    python benchmarks/engine_speed.py --device cuda      # on a GPU
    python benchmarks/engine_speed.py --upsampler-only   # the upsampler at 1920x1080 output

Peak memory is what the computation adds on top of the loaded model and inputs (max RSS
minus the RSS before the first run; on CUDA, max allocated). Times are wall-clock seconds per
output frame (median of ``--repeat`` runs after a warm-up) and CPU seconds (process time, all
threads) per frame, which is steadier than wall time on a busy machine. Weights are random:
speed and memory do not depend on them.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIGS = {
    "default": {},
    "small": dict(num_feat=32, w1_num_block=2, w2_num_block=1, n_resgroups=2, n_resblocks=2),
}
CASES = [((90, 160), 2.0), ((180, 320), 4.0)]


def rss_now() -> int:
    """Resident memory of this process now, in bytes (Linux)."""
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(config: str, size, scale: float, fast: bool, device: str, repeat: int, batch: int,
            upsampler_only: bool, precision: str) -> dict:
    import torch

    from engine import SAVSR
    torch.manual_seed(0)
    dev = torch.device(device)
    model = SAVSR(**CONFIGS[config]).eval().to(dev).use_fast_path(fast)
    h, w = size
    if upsampler_only:
        nf = model.config.num_feat
        feat, guide = torch.rand(batch, nf, h, w, device=dev), torch.rand(batch, nf, h, w, device=dev)
        run = lambda: model.upsample(feat, (scale, scale), guide)  # noqa: E731
    else:
        lr = torch.rand(batch, 7, 3, h, w, device=dev)
        run = lambda: model(lr, (scale, scale))  # noqa: E731
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    walls, cpus = [], []
    base = rss_now()
    with torch.inference_mode(), torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
        for i in range(repeat + 1):
            if dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats(dev)
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            run()
            sync()
            if i:  # the first run warms up caches and kernels
                walls.append((time.perf_counter() - t0) / batch)
                cpus.append((time.process_time() - c0) / batch)
    peak = (torch.cuda.max_memory_allocated(dev) if dev.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "peak_mb": peak / 2 ** 20}


def run_child(args, config, size, scale, fast) -> dict:
    cmd = [sys.executable, __file__, "--child", json.dumps([config, size, scale, fast]),
           "--device", args.device, "--repeat", str(args.repeat), "--batch", str(args.batch),
           "--threads", str(args.threads), "--precision", args.precision]
    if args.upsampler_only:
        cmd.append("--upsampler-only")
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--configs", default="default,small")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "bf16"])
    p.add_argument("--upsampler-only", action="store_true",
                   help="time the upsampler alone on LR 270x480 -> x4 (1080x1920 output)")
    p.add_argument("--sizes", default="", help="e.g. 540x960@2,270x480@4 (LR size @ scale)")
    p.add_argument("--paths", default="plain,fast")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    if args.child:
        config, size, scale, fast = json.loads(args.child)
        print(json.dumps(measure(config, size, scale, fast, args.device, args.repeat, args.batch,
                                 args.upsampler_only, args.precision)))
        return
    cases = CASES
    if args.sizes:
        cases = [(tuple(int(v) for v in s.split("@")[0].split("x")), float(s.split("@")[1]))
                 for s in args.sizes.split(",")]
    if args.upsampler_only and not args.sizes:
        cases = [((270, 480), 4.0)]
    what = "upsampler" if args.upsampler_only else "forward"
    print(f"| config | LR -> scale | path | {what} s/frame (wall) | CPU s/frame | peak MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for config in args.configs.split(","):
        for size, scale in cases:
            for path in args.paths.split(","):
                r = run_child(args, config, list(size), scale, path == "fast")
                label = f"{size[0]}x{size[1]} -> x{scale:g}"
                if "error" in r:
                    print(f"| {config} | {label} | {path} | failed: {r['error']} | | |", flush=True)
                else:
                    print(f"| {config} | {label} | {path} | {r['wall']:.3f} | {r['cpu']:.3f} | "
                          f"{r['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
