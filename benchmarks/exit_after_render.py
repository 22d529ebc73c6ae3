"""How long ``savsr upscale`` lingers after writing its output, on the user's path.

Each run is a new process with ``CI`` unset (OpenVINO's telemetry listens to it), a new home folder and
an empty graph cache, as on a fresh install; it renders a clip long enough for ``auto`` to take the
compiled path (48 frames or more) and the time from the ``wrote`` line to the process's end is measured.
The command runs under a small wrapper that notes when ``savsr`` returned and when Python's exit handlers
(``atexit``: multiprocessing joins its children there) were done, with the process's CPU seconds at each,
and arms ``faulthandler`` to write every thread's stack if Python is still running :data:`LINGER` seconds
after the return: a slow exit says whether it waited (for what: ``stacks``) or was starved of the CPU on a
loaded machine (``exit_cpu_s`` close to the wall time's share). Before the fix the process never ended (a
forked telemetry sender deadlocked)::

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
LINGER = 3.0        # seconds after savsr returns: the target; a process still there then has its stacks written
WRAPPER = f"""
import atexit, faulthandler, os, runpy, sys, time
stacks = open(sys.argv.pop(1), "w")
def stamp(what):
    print(what, time.time(), sum(os.times()[:2]), file=stacks, flush=True)
atexit.register(stamp, "atexit_done")       # registered first: runs after every other exit handler
sys.argv[0] = "savsr"
try:
    runpy.run_module("engine", run_name="__main__", alter_sys=True)
finally:     # savsr returned (or exits): whatever the interpreter waits for from here is written at {LINGER} s
    stamp("returned")
    faulthandler.dump_traceback_later({LINGER}, file=stacks)
"""


def cpu_line() -> str:
    from engine.backends.precision import cpu_info, fast_flags
    return f"{cpu_info()[0]} ({' '.join(fast_flags())})"


def one_run(clip: Path, backend: str, folder: Path) -> dict:
    home = folder / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), SAVSR_CACHE_DIR=str(home / "graphs"))
    stacks = folder / "stacks.txt"
    cmd = [sys.executable, "-c", WRAPPER, str(stacks), "upscale", str(clip), "-o", str(folder / "out.mp4"),
           "--scale", "2"]
    if backend != "default":
        cmd += ["--backend", backend]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wrote = None
    for line in proc.stdout:
        if line.startswith("wrote "):
            wrote, wrote_at = time.monotonic(), time.time()
    usage = _reap(proc, 120)
    if usage is None:
        proc.kill()
        proc.wait()
        return {"backend": backend, "exit_s": None, "hung": True, "render_s": None,
                "stacks": stacks.read_text() if stacks.is_file() else ""}
    end = time.monotonic()
    result = {"backend": backend, "exit_s": round(end - wrote, 2) if wrote else None, "rc": proc.returncode,
              "render_s": round((wrote or end) - t0, 1), "intel_folder": (home / "intel").exists()}
    marks = _marks(stacks)      # savsr's own exit skips the wrapper's "returned" (it never returns)
    if wrote and marks:
        ended_at = wrote_at + (end - wrote)
        handlers_t, handlers_cpu = marks.get("atexit_done", (ended_at, None))
        returned_t, returned_cpu = marks.get("returned", (None, None))
        result["phases_s"] = {"to_exit_handlers_done": round(handlers_t - wrote_at, 2),
                              "after_exit_handlers": round(ended_at - handlers_t, 2)}
        if returned_t is not None:
            result["phases_s"]["to_return"] = round(returned_t - wrote_at, 2)
        start_cpu = returned_cpu if returned_cpu is not None else handlers_cpu
        if start_cpu is not None:
            result["exit_cpu_s"] = round(usage.ru_utime + usage.ru_stime - start_cpu, 2)
    text = stacks.read_text() if stacks.is_file() else ""
    if "Thread 0x" in text or "Current thread" in text:
        result["stacks"] = text
    return result


def _reap(proc, seconds: float):
    """Wait up to ``seconds`` for ``proc`` to end and reap it: its resource use (``os.wait4``), or ``None``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage
        time.sleep(0.01)
    return None


def _marks(path: Path) -> dict:
    """``{"returned": (time, cpu seconds), "atexit_done": ...}`` from the wrapper's lines."""
    marks = {}
    for line in (path.read_text().splitlines() if path.is_file() else []):
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("returned", "atexit_done"):
            marks[parts[0]] = (float(parts[1]), float(parts[2]))
    return marks


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
    out = {"cpu": cpu_line(), "load_average": [round(x, 1) for x in os.getloadavg()], "frames": args.frames,
           "size": args.size, "summary": summary, "runs": results}
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
