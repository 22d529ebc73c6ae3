"""Backends side by side, in one run: torch (the reference) against each compiled backend.

1. Whole renders through ``savsr upscale`` (a subprocess each, model loading included): the bundled
   model on 8 frames of real footage at 480x270 -> x2; ``--backend torch``, then the default settings
   (backend and precision ``auto``) with an empty graph cache (export, compile and the precision
   timing included), again with the cache, then each precision the compiled backend computes here
   named outright (cached), then torch again (the machine is shared: the two torch runs bracket the
   others). Each row names what computed it (the render's "computing on" note). Y-PSNR of the
   decoded frames against torch's (mean and worst frame), and the fp32 max abs difference before
   8-bit rounding (first window). Below 48 frames ``auto`` keeps torch on an empty cache, so the
   default rows then name the compiled backend ``auto`` would take (precision still ``auto``).
   ``precision``: the same frame size in one process, the bundled model on a 7-frame window of the
   same footage, torch fp32 and the compiled backend in each precision it computes here, calls
   interleaved (a busy moment hits every one alike), best of ``--repeat`` + 1: seconds per frame and
   Y-PSNR against torch fp32.
2. The authors' default config (18.9 M parameters, random weights): 90x160 -> x2 and 180x320 -> x4.
3. The parity fixture through every fp32 backend.
4. The preview of an 800x450 viewport at 2x of an 854x480 frame, and the first frame at a new factor.
5. fp16 coordinates at 3840x2160 output (emulated on the CPU): the sampling grid's error.

    .venv/bin/python benchmarks/backend_speed.py [--threads 1] [--frames 8] [--skip render,default,...]

Prints Markdown tables for docs/performance.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def real_clip(path: Path, frames: int, size=(480, 270)) -> Path:
    """``frames`` frames of DAVIS ``blackswan`` resized to ``size`` (antialiased bicubic), H.264 CRF 12."""
    import av
    import numpy as np
    import torch
    from torch.nn import functional as F

    from engine.evaluation.benchmark import read_image
    names = sorted((DATA / "davis480" / "blackswan").glob("*.jpg"))[:frames]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "12"}
        for name in names:
            x = torch.from_numpy(read_image(name)).permute(2, 0, 1)[None].float() / 255
            y = F.interpolate(x, size=size[::-1], mode="bicubic", antialias=True, align_corners=False)
            img = (y[0].clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def y_psnr(a: Path, b: Path) -> tuple[float, float]:
    """``(mean, worst frame)`` Y-PSNR in dB of the decoded frames of ``a`` against ``b``'s."""
    import av
    import numpy as np
    errs = []
    with av.open(str(a)) as ca, av.open(str(b)) as cb:
        for fa, fb in zip(ca.decode(video=0), cb.decode(video=0)):
            ya = fa.to_ndarray()[:fa.height].astype(float)
            yb = fb.to_ndarray()[:fb.height].astype(float)
            errs.append(((ya - yb) ** 2).mean())

    def db(mse):
        return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    return db(sum(errs) / len(errs)), db(max(errs))


def cpu_flags() -> str:
    from engine.backends.precision import fast_flags
    return " ".join(fast_flags()) or "none of " + "/".join(("avx512_bf16", "amx", "avx512_vnni", "avx_vnni"))


def vector_flags() -> str:
    """``avx2, no avx512``: the vector width OpenVINO's int8 and fp32 kernels use."""
    from engine.backends.precision import cpu_info
    flags = cpu_info()[1]
    return ", ".join(f if f in flags else f"no {f}" for f in ("avx2", "avx512f", "avx_vnni", "avx512_vnni"))


def compiled_backend() -> str:
    """The compiled backend ``auto`` takes on this CPU (``torch`` when none is installed)."""
    from engine.backends import AUTO_ORDER, installed_backends
    return next((name for name in AUTO_ORDER["cpu"] if name in installed_backends()), "torch")


def render_runs(frames: int) -> list[tuple[str, list[str]]]:
    import torch

    from engine.backends import AUTO_MIN_FRAMES
    from engine.backends.choice import candidates
    runtime = compiled_backend()
    default = [] if frames >= AUTO_MIN_FRAMES else ["--backend", runtime]
    named = f"default settings (precision auto{', backend ' + runtime if default else ''})"
    runs = [("torch", ["--backend", "torch", "--precision", "fp32"]),
            (f"{named}, empty cache", default), (f"{named}, cached", default)]
    if runtime != "torch":
        runs += [(f"{runtime} {p}, cached", ["--backend", runtime, "--precision", p])
                 for p in candidates(runtime, torch.device("cpu"))]
    return runs + [("torch again", ["--backend", "torch", "--precision", "fp32"])]


def renders(args, tmp: Path) -> list[str]:
    clip = real_clip(tmp / "blackswan_480x270.mp4", args.frames)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), SAVSR_CACHE_DIR=str(tmp / "graphs"))
    runs = render_runs(args.frames)
    times, outs, notes = {}, {}, {}
    for i, (label, flags) in enumerate(runs):
        out = tmp / f"run{i}.mkv"
        cmd = [str(ROOT / ".venv" / "bin" / "savsr"), "upscale", str(clip), "--scale", "2", "-o", str(out), "-y",
               "--codec", "ffv1", "--device", "cpu", *flags,
               "--model", str(ROOT / "resources" / "models" / "savsr_studio_default.safetensors")]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times[label] = time.perf_counter() - t0
        if done.returncode:
            raise SystemExit(f"render failed: {done.stderr.strip().splitlines()[-1]}")
        outs[label] = out
        notes[label] = [line.split("note: ", 1)[-1] for line in done.stderr.splitlines()
                        if "computing on" in line or "preparing the network for" in line or "using the torch" in line]
        print(f"  {label}: {times[label]:.1f} s  {'; '.join(notes[label])}", flush=True)
    torch_s = statistics.mean([times["torch"], times["torch again"]])
    rows = [f"| render ({args.frames} frames, 480x270 -> x2, whole process) | computed on | seconds | vs torch "
            "| Y-PSNR vs torch, mean / worst frame |",
            "| --- | --- | ---: | ---: | ---: |"]
    for label, _flags in runs:
        what = next((n.split("computing on ", 1)[1] for n in notes[label] if "computing on" in n), "")
        mean, worst = y_psnr(outs[label], outs["torch"])
        rows.append(f"| {label} | {what} | {times[label]:.1f} | {torch_s / times[label]:.2f}x "
                    f"| {mean:.1f} / {worst:.1f} dB |")
    rows.append(f"\nfp32 max abs difference before 8-bit rounding (first window): {window_diff(clip):.1e}")
    return rows


def window_diff(clip: Path) -> float:
    import torch

    from engine import load_model
    from engine.backends import accelerate
    from engine.video import probe, read_frames
    model = load_model(ROOT / "resources" / "models" / "savsr_studio_default.safetensors", torch.device("cpu"))
    frames = read_frames(probe(clip), [3, 2, 1, 0, 1, 2, 3])
    lr = torch.stack([torch.from_numpy(f).permute(2, 0, 1) for f in frames])[None]
    f = accelerate(model, 2.0, lr.shape)
    with torch.no_grad():
        return float((f(lr) - model(lr, 2.0)).abs().max())


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def real_window(size=(480, 270)):
    """``(1, 7, 3, h, w)``: DAVIS ``blackswan``'s first 7 frames resized to ``size`` as :func:`real_clip` does."""
    import torch
    from torch.nn import functional as F

    from engine.evaluation.benchmark import read_image
    names = sorted((DATA / "davis480" / "blackswan").glob("*.jpg"))[:7]
    x = torch.stack([torch.from_numpy(read_image(n)).permute(2, 0, 1).float() / 255 for n in names])
    y = F.interpolate(x, size=size[::-1], mode="bicubic", antialias=True, align_corners=False)
    return ((y.clamp(0, 1) * 255 + 0.5).floor() / 255)[None]


def precision(args) -> list[str]:
    import torch

    from engine import load_model
    from engine.backends import Accelerated
    from engine.backends.choice import candidates
    from engine.evaluation.metrics import psnr_y
    model = load_model(ROOT / "resources" / "models" / "savsr_studio_default.safetensors", torch.device("cpu"))
    lr = real_window()
    runtime = compiled_backend()
    nets = {"torch fp32": model}
    if runtime != "torch":
        for p in candidates(runtime, torch.device("cpu")):
            nets[f"{runtime} {p}"] = Accelerated(model, runtime, "cpu", p)
            nets[f"{runtime} {p}"].prepare(*lr.shape[-2:])
    times = {name: [] for name in nets}
    with torch.no_grad():
        ref = model(lr, 2.0)
        outs = {name: net(lr, 2.0) for name, net in nets.items()}
        for _ in range(args.repeat + 1):
            for name, net in nets.items():
                times[name].append(timed(lambda net=net: net(lr, 2.0), 1))
    base = min(times["torch fp32"])
    rows = [f"| 480x270 -> x2, bundled model, in one process, best of {args.repeat + 1} interleaved | seconds per "
            "frame | vs torch | Y-PSNR vs torch fp32 |", "| --- | ---: | ---: | ---: |"]
    for name in nets:
        db = psnr_y(outs[name].clamp(0, 1), ref.clamp(0, 1))
        rows.append(f"| {name} | {min(times[name]):.2f} | {base / min(times[name]):.2f}x | {db:.1f} dB |")
        print("  " + rows[-1], flush=True)
    return rows


def lr_stage(args) -> list[str]:
    """The LR stage alone at 270x480 in each precision the compiled backend computes here (int8: quantized
    on the bundled sample first, timed), calls interleaved, best of ``--repeat`` + 3; Y-PSNR of the whole
    network (fp32 HR stage) against torch fp32 on the same real window."""
    import torch

    from engine import load_model
    from engine.backends import Accelerated
    from engine.backends.choice import candidates
    from engine.backends.graph import hr_stage
    from engine.evaluation.metrics import psnr_y
    model = load_model(ROOT / "resources" / "models" / f"savsr_studio_{args.model}.safetensors", torch.device("cpu"))
    lr, runtime, scale = real_window(), compiled_backend(), (2.0, 2.0)
    stages, prepared = {}, {}
    for p in candidates(runtime, torch.device("cpu")):
        net = Accelerated(model, runtime, "cpu", p, note=lambda msg: print("  note:", msg, flush=True))
        t0 = time.perf_counter()
        name, stages[p] = net.runner(tuple(lr.shape[1:2]) + tuple(lr.shape[-2:]))
        prepared[p] = (time.perf_counter() - t0, net.prepared[-1].precision if net.prepared else "torch")
    times = {p: [] for p in stages}
    with torch.no_grad():
        ref = model(lr, scale)
        outs = {p: hr_stage(model, lr, scale, *stage(lr, scale)) for p, stage in stages.items()}
        for _ in range(args.repeat + 3):
            for p, stage in stages.items():
                times[p].append(timed(lambda stage=stage: stage(lr, scale), 1))
    base = min(times["fp32"])
    rows = [f"| LR stage, 270x480, {args.model} model, best of {args.repeat + 3} interleaved | prepared in (s) "
            "| seconds | vs fp32 | Y-PSNR vs torch fp32 (whole network) |", "| --- | ---: | ---: | ---: | ---: |"]
    for p in stages:
        db = psnr_y(outs[p].clamp(0, 1), ref.clamp(0, 1))
        rows.append(f"| {runtime} {p} (computed: {prepared[p][1]}) | {prepared[p][0]:.1f} | {min(times[p]):.2f} "
                    f"| {base / min(times[p]):.2f}x | {db:.1f} dB |")
        print("  " + rows[-1], flush=True)
    return rows


def default_config(args) -> list[str]:
    import torch

    from engine import SAVSR
    from engine.backends import Accelerated, installed_backends
    torch.manual_seed(0)
    model = SAVSR().eval()
    rows = ["| authors' default config (18.9 M) | torch | " + " | ".join(
        f"{b} (prepare / frame / vs torch / max diff)" for b in installed_backends()[1:]) + " |",
        "| --- | ---: |" + " ---: |" * (len(installed_backends()) - 1)]
    for (h, w), s in (((90, 160), 2.0), ((180, 320), 4.0)):
        lr = torch.rand(1, 7, 3, h, w)
        nets = {b: Accelerated(model, b) for b in installed_backends()[1:]}
        prep = {}
        for b, net in nets.items():
            t0 = time.perf_counter()
            net.prepare(h, w)
            prep[b] = time.perf_counter() - t0
        with torch.no_grad():
            ref = model(lr, s)
            t = {"torch": [], **{b: [] for b in nets}}
            for _ in range(args.repeat):  # interleaved: a busy moment hits every backend alike
                t["torch"].append(timed(lambda lr=lr, s=s: model(lr, s), 1))
                for b, net in nets.items():
                    t[b].append(timed(lambda net=net, lr=lr, s=s: net(lr, s), 1))
            diffs = {b: float((net(lr, s) - ref).abs().max()) for b, net in nets.items()}
        tt = min(t["torch"])
        cells = [f"{prep[b]:.0f} s / {min(t[b]):.2f} s / {tt / min(t[b]):.2f}x / {diffs[b]:.0e}" for b in nets]
        rows.append(f"| {h}x{w} -> x{s:g} | {tt:.2f} s | " + " | ".join(cells) + " |")
        print("  " + rows[-1], flush=True)
    return rows


def parity(args) -> list[str]:
    import torch

    from engine import SAVSR
    from engine.backends import Accelerated, installed_backends
    fixture = ROOT / "tests" / "fixtures" / "parity_small.pt"
    if not fixture.is_file():
        fixture = ROOT.parent / "shared" / "savsr" / "parity_small.pt"
    d = torch.load(fixture, weights_only=True)
    model = SAVSR(**d["config"])
    model.load_state_dict(d["state_dict"])
    model.eval()
    rows = ["| backend | parity fixture, max abs diff over 10 cases (fp32, limit 1e-4) |", "| --- | ---: |"]
    for b in installed_backends():
        net = Accelerated(model, b)
        with torch.no_grad():
            worst = max(float((net(d["inputs"][c["input"]], c["scale"]) - c["output"]).abs().max())
                        for c in d["cases"])
        rows.append(f"| {b} | {worst:.1e} |")
    return rows


def preview(args) -> list[str]:
    import torch

    from engine import load_model
    from engine.backends import installed_backends
    from engine.evaluation.benchmark import read_image
    from engine.preview.tiles import Region, preview_network, upscale_region
    model = load_model(ROOT / "resources" / "models" / "savsr_studio_default.safetensors", torch.device("cpu"))
    names = sorted((DATA / "davis480" / "blackswan").glob("*.jpg"))[:7]
    window = [read_image(n).astype("float32") / 255 for n in names]
    region = lambda s: Region(round(427 * s - 400), round(240 * s - 225), 800, 450)  # noqa: E731  centred
    rows = ["| preview 800x450 at 2x (854x480 frame) | first (torch while preparing) | prepared in | again "
            "| panned 40 px | new factor 2.5: first | 2.5 prepared in | 2.5 again |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for b in installed_backends():
        net = preview_network(model, b)
        cells = []
        for s, dx, wait in ((2.0, 0, True), (2.0, 0, False), (2.0, 40, False), (2.5, 0, True), (2.5, 0, False)):
            r = region(s)
            t0 = time.perf_counter()
            upscale_region(net, window, (s, s), Region(r.x + dx, r.y, r.w, r.h))
            cells.append(f"{time.perf_counter() - t0:.2f} s")
            if wait and b != "torch":
                t0 = time.perf_counter()
                net.wait()
                cells.append(f"+{time.perf_counter() - t0:.1f} s")
            elif wait:
                cells.append("-")
        rows.append(f"| {b} | " + " | ".join(cells) + " |")
        print("  " + rows[-1], flush=True)
    return rows


def fp16_coordinates(args) -> list[str]:
    from engine.backends.precision import grid_error
    rows = ["| 1920x1080 -> 3840x2160 (x2) | max sampling error, output px |", "| --- | ---: |"]
    for label, dtype in (("grid in fp16 (the model under fp16 autocast)", "fp16"),
                         ("grid in bf16", "bf16"), ("backends: grid in fp32 (features may be fp16)", "fp32")):
        rows.append(f"| {label} | {grid_error((1080, 1920), (2.0, 2.0), dtype):.3f} |")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--skip", default="",
                   help="comma-separated: render, precision, lr-stage, default, parity, preview, fp16")
    p.add_argument("--model", default="compressed", choices=("compressed", "default"),
                   help="the bundled model of the lr-stage section (default compressed)")
    args = p.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    os.environ.setdefault("SAVSR_CACHE_DIR", tempfile.mkdtemp(prefix="savsr-bench-graphs-"))
    from engine.backends import installed_backends
    print(f"CPU: {cpu_name()} (lscpu flags: {cpu_flags()}; {vector_flags()}); torch {torch.__version__}; "
          f"{args.threads} thread(s); backends: "
          f"{', '.join(installed_backends())}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    skip = set(filter(None, args.skip.split(",")))
    sections = [("render", renders), ("precision", precision), ("lr-stage", lr_stage), ("default", default_config),
                ("parity", parity), ("preview", preview), ("fp16", fp16_coordinates)]
    with tempfile.TemporaryDirectory(prefix="savsr-bench-") as tmp:
        for name, fn in sections:
            if name in skip:
                continue
            print(f"## {name}", flush=True)
            rows = fn(args, Path(tmp)) if name == "render" else fn(args)
            print("\n".join(rows) + "\n", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
