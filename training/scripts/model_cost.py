"""Cost per frame of the bundled compressed model and of its 24-feature widening, per backend and precision.

    .venv/bin/python training/scripts/model_cost.py [--repeat 2] [--threads 1]

In one process: the bundled ``compressed`` model (16 features) and the same model widened to 24
features (``engine.train.widen.widen_model``, what ``savsr widen --features 24`` writes: the
network training/active/compressed24_widened trains), each on torch fp32 and on every precision the
compiled backend offers on this CPU (``engine.backends.choice.candidates``), on a real 7-frame
window (DAVIS blackswan resized to 480x270) upscaled x2. The calls are interleaved and the best of
``--repeat + 1`` is kept, so a busy machine slows every row alike; read the ratios. The CPU seconds
(all threads of the process) are printed beside the wall-clock ones: on a machine shared with other
work they say what a frame costs when the seconds are not all its own. Prints a markdown table and
the CPU, its flags and the load.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def real_window(size=(480, 270)):
    import torch
    from torch.nn import functional as F

    from engine.evaluation.benchmark import read_image
    names = sorted((DATA / "davis480" / "blackswan").glob("*.jpg"))[:7]
    x = torch.stack([torch.from_numpy(read_image(n)).permute(2, 0, 1).float() / 255 for n in names])
    y = F.interpolate(x, size=size[::-1], mode="bicubic", antialias=True, align_corners=False)
    return ((y.clamp(0, 1) * 255 + 0.5).floor() / 255)[None]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("SAVSR_CACHE_DIR", tempfile.mkdtemp(prefix="savsr-model-cost-"))
    import torch
    torch.set_num_threads(args.threads)

    from engine import load_model
    from engine.backends import AUTO_ORDER, Accelerated, installed_backends
    from engine.backends.choice import candidates
    from engine.backends.precision import cpu_info, fast_flags
    from engine.evaluation.metrics import psnr_y
    from engine.train.widen import widen_model
    narrow = load_model("compressed")
    wide = widen_model(narrow, 24, seed=0).eval()
    lr = real_window()
    runtime = next((name for name in AUTO_ORDER["cpu"] if name in installed_backends()), "torch")
    nets = {}
    for label, model in (("16 features", narrow), ("24 features", wide)):
        nets[(label, "torch fp32")] = model
        if runtime != "torch":
            for p in candidates(runtime, torch.device("cpu")):
                net = Accelerated(model, runtime, "cpu", p)
                net.prepare(*lr.shape[-2:])
                nets[(label, f"{runtime} {p}")] = net
    times = {key: [] for key in nets}
    cpu = {key: [] for key in nets}
    with torch.no_grad():
        refs = {label: model(lr, 2.0) for label, model in (("16 features", narrow), ("24 features", wide))}
        outs = {key: net(lr, 2.0) for key, net in nets.items()}
        for _ in range(args.repeat + 1):
            for key, net in nets.items():
                t0, c0 = time.perf_counter(), time.process_time()
                net(lr, 2.0)
                times[key].append(time.perf_counter() - t0)
                cpu[key].append(time.process_time() - c0)
    base = min(times[("16 features", "torch fp32")])
    params = {label: sum(p.numel() for p in m.parameters()) for label, m in (("16 features", narrow),
                                                                               ("24 features", wide))}
    print(f"CPU: {cpu_info()[0]}; fast flags: {' '.join(fast_flags()) or 'none (AVX2 at most)'}; "
          f"torch threads {args.threads}; load average at the end {os.getloadavg()[0]:.1f}")
    cpu_base = min(cpu[("16 features", "torch fp32")])
    print(f"| 480x270 -> x2, one process, best of {args.repeat + 1} interleaved | parameters | seconds per frame "
          "| vs 16 features torch fp32 | CPU seconds per frame | vs 16 features torch fp32 "
          "| Y-PSNR vs its torch fp32 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (label, how), t in times.items():
        db = psnr_y(outs[(label, how)].clamp(0, 1), refs[label].clamp(0, 1))
        c = min(cpu[(label, how)])
        print(f"| {label}, {how} | {params[label] / 1e6:.3f} M | {min(t):.2f} | {min(t) / base:.2f}x | {c:.2f} | "
              f"{c / cpu_base:.2f}x | {db:.1f} dB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
