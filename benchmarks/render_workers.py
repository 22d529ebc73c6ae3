"""Render workers on this machine: 1 worker x 1 thread, 1 x 2 threads, 2 workers x 1 thread, a worker
SIGKILLed mid-segment, and ``--cluster local`` (when Ray is installed); one run each.

    .venv/bin/python benchmarks/render_workers.py                  # 24 frames of 480x270 -> x2, bundled model
    .venv/bin/python benchmarks/render_workers.py --frames 48 --segment-frames 8

The clip is the bundled sample (Big Buck Bunny, 320x180) scaled to 480x270 and encoded as H.264;
every render is FFV1, so frames are compared exactly (SHA-256 of each decoded frame) against the
1 worker x 1 thread render (oneDNN's results depend on the thread count: only renders with the same
threads per worker are expected to be identical). Prints a Markdown table for docs/render_farm.md
and the load average before and after: on a shared machine the ratios are distorted; rerun idle.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_clip(out: Path, frames: int, size=(480, 270)) -> Path:
    """The bundled sample's first ``frames`` frames, scaled to ``size``, as H.264."""
    import av
    src = ROOT / "resources" / "sample" / "big_buck_bunny_320x180.mp4"
    with av.open(str(src)) as inp, av.open(str(out), "w") as container:
        rate = inp.streams.video[0].average_rate or 24
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "12", "preset": "fast"}
        for i, frame in enumerate(inp.decode(video=0)):
            if i == frames:
                break
            scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p", interpolation="BICUBIC")
            scaled.pts, scaled.time_base = i, Fraction(1) / rate
            container.mux(stream.encode(scaled))
        container.mux(stream.encode())
    return out


def frame_hashes(path: Path) -> list[str]:
    import av
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def _start_worker(model) -> float:
    t0 = time.monotonic()
    import torch  # noqa: F401  (what a worker imports)

    from engine.models.checkpoint import load_model
    load_model(model, "cpu")
    return time.monotonic() - t0


def worker_start_seconds(model) -> float:
    """Wall time to spawn a worker process that imports torch and loads the model."""
    t0 = time.monotonic()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        pool.submit(_start_worker, model).result()
    return time.monotonic() - t0


class KillOnce:
    """Progress callback: SIGKILL one running worker once ``after`` frames are done."""

    def __init__(self, after: int):
        self.after, self.killed = after, None

    def __call__(self, progress):
        import psutil
        if self.killed or progress.done < self.after:
            return
        workers = [p for p in psutil.Process().children(recursive=True)
                   if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]
        if workers:
            self.killed = workers[0].pid
            os.kill(self.killed, signal.SIGKILL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--segment-frames", type=int, default=6)
    ap.add_argument("--model", default="clean", help="bundled model name or file (default clean)")
    ap.add_argument("--no-ray", action="store_true", help="skip the --cluster local run")
    args = ap.parse_args()
    import torch

    from engine.models.choice import choose_model
    from engine.render.job import RenderJob
    from engine.render.placement import Placement
    from engine.render.renderer import render

    load = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="savsr-workers-"))
    clip = make_clip(tmp / "bbb_480x270.mp4", args.frames)
    model = str(choose_model(args.model, None).path) if args.model in ("clean", "compressed") else args.model
    job = RenderJob(str(clip), "", scale_w=2.0, scale_h=2.0, codec="ffv1", model=model, device="cpu",
                    backend="torch")
    segments = -(-args.frames // args.segment_frames)
    runs = [("1 worker x 1 thread (in-process)", Placement(1, 1), None, None),
            ("1 worker x 2 threads (in-process)", Placement(1, 2), None, None),
            ("2 workers x 1 thread", Placement(2, 1), None, None),
            ("2 workers x 1 thread, one SIGKILLed", Placement(2, 1), None, KillOnce(args.segment_frames // 2))]
    if not args.no_ray and importlib.util.find_spec("ray"):
        runs.append(("--cluster local, 1 thread per task", Placement(threads=1), "local", None))
    print(f"# {args.frames} frames 480x270 -> 960x540, {segments} segments of {args.segment_frames}, FFV1, "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}, load average before {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f}", flush=True)
    start = worker_start_seconds(model)
    print(f"# a worker process's start (spawn, import torch, load the model): {start:.1f} s", flush=True)
    results, reference = [], None
    for name, placement, cluster, progress in runs:
        out = tmp / f"out_{len(results)}.mkv"
        t0 = time.monotonic()
        render(job.replace(output=str(out)), progress=progress, segment_frames=args.segment_frames,
               placement=placement, cluster=cluster)
        seconds = time.monotonic() - t0
        hashes = frame_hashes(out)
        reference = reference or hashes
        same = "reference" if reference is hashes else ("yes" if hashes == reference else "NO")
        if placement.threads == 2 and same == "NO":
            same = "no (2 threads: oneDNN differs)"
        results.append((name, seconds, same))
        print(f"{name}: {seconds:.1f} s, {args.frames / seconds:.2f} fps, identical: {same}", flush=True)
    base = results[0][1]
    print("\n| run | wall s | fps | vs 1x1 | frames identical to 1x1 |\n|---|---:|---:|---:|---|")
    for name, seconds, same in results:
        print(f"| {name} | {seconds:.1f} | {args.frames / seconds:.2f} | {base / seconds:.2f}x | {same} |")
    two, ray = results[2][1], next((s for n, s, _ in results if n.startswith("--cluster")), None)
    print(f"\n2 workers x 1 thread vs 1 x 1: {base / two:.2f}x; vs 1 x 2 threads: {results[1][1] / two:.2f}x")
    if ray is not None:
        print(f"--cluster local vs 2 worker processes: {(ray - two) / segments:+.1f} s per segment "
              f"(Ray's start included)")
    load = os.getloadavg()
    print(f"load average after {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
