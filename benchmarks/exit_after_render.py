"""How long ``savsr upscale`` lingers after writing its output, on the user's path.

Each run is a new process with ``CI`` unset (OpenVINO's telemetry listens to it), a new home folder and
an empty graph cache, as on a fresh install; it renders a clip long enough for ``auto`` to take the
compiled path (48 frames or more) and the time from the ``wrote`` line to the process's end is measured.
Before the fix the process never ended (a forked telemetry sender deadlocked)::

    .venv/bin/python benchmarks/exit_after_render.py --runs 10 --frames 60 [--size 160x90] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def cpu_line() -> str:
    from engine.backends.precision import cpu_info, fast_flags
    return f"{cpu_info()[0]} ({' '.join(fast_flags())})"


def one_run(clip: Path, backend: str, folder: Path) -> dict:
    home = folder / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), SAVSR_CACHE_DIR=str(home / "graphs"))
    cmd = [sys.executable, "-m", "engine", "upscale", str(clip), "-o", str(folder / "out.mp4"), "--scale", "2"]
    if backend != "default":
        cmd += ["--backend", backend]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wrote = None
    for line in proc.stdout:
        if line.startswith("wrote "):
            wrote = time.monotonic()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return {"backend": backend, "exit_s": None, "hung": True, "render_s": None}
    end = time.monotonic()
    return {"backend": backend, "exit_s": round(end - wrote, 2) if wrote else None, "rc": proc.returncode,
            "render_s": round((wrote or end) - t0, 1), "intel_folder": (home / "intel").exists()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", default="160x90")
    ap.add_argument("--backends", nargs="+", default=["openvino", "default"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from helpers.clipmaker import make_clip
    w, h = (int(v) for v in args.size.split("x"))
    results = []
    with tempfile.TemporaryDirectory(prefix="savsr-exit-") as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", count=args.frames, size=(w, h))
        for i in range(args.runs):
            for backend in args.backends:
                results.append(one_run(clip, backend, Path(tmp) / f"{backend}-{i}"))
                if not args.json:
                    print(results[-1], flush=True)
    summary = {b: {"runs": len(r), "hung": sum(1 for x in r if x.get("hung")),
                   "exit_s_max": max((x["exit_s"] for x in r if x["exit_s"] is not None), default=None),
                   "intel_folder": any(x.get("intel_folder") for x in r)}
               for b in args.backends for r in [[x for x in results if x["backend"] == b]]}
    out = {"cpu": cpu_line(), "frames": args.frames, "size": args.size, "summary": summary, "runs": results}
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
