"""Faults from outside the running app while its real window renders a queue of three jobs.

This script kills the app's render worker, aborts it, fills its disk, takes an input away and corrupts a
compiled graph, and reports what the app did.

    .venv/bin/python benchmarks/app_faults.py --json
    .venv/bin/python benchmarks/app_faults.py --faults kill --jobs 1 --json     # one fault, one job (the test)

The app runs as it runs for a user (``savsr_app.main.main``, ``QT_QPA_PLATFORM=offscreen``) in a process of
its own, with a fresh ``SAVSR_STUDIO_HOME`` and ``SAVSR_CACHE_DIR``. A small driver inside it does what a user
would (open a clip, pick the backend in the settings, type an output folder, Add to queue, Retry) and reports
what the queue does on a pipe; the faults come from this process, which also finds the render worker among
the app's children (``spawn_main`` in its command line). The jobs: 24 frames (``--frames``) each of the
bundled sample at 128x72 and 144x80, scaled x2 to FFV1 with the small test network on one torch thread per
worker; clips at 4 frames per second, so the engine's 2-second segments hold 8 frames:

- job a: ``kill``, a SIGKILL of its worker during segment 1, and ``abort``, a SIGABRT of the fresh worker during
  a later segment (Python's default action for it ends the process as ``abort()`` does; no core file is
  written). Each costs a segment, rendered again; the job finishes.
- job b: ``input``, its input renamed away while job a renders (this runs as root, which chmod 000 does not
  stop), and ``graph``: it computes on OpenVINO, whose graph for its shape was compiled into the cache by the
  reference render; every graph file there is overwritten with noise while job a renders. The job fails on
  its input; the input is put back and the job retried, which meets the corrupt graph.
- job c: ``disk``, its output folder is a tmpfs of about one and a half segments (``mount -t tmpfs``); the job
  fails when it is full, the tmpfs is grown (``mount -o remount``) and the job retried: it resumes.

Every finished job's decoded frames are compared (SHA-256 per frame) with an uninterrupted render of the
same :class:`~engine.render.job.RenderJob` by ``engine.render.renderer.render`` in this process (same threads,
rendered before the app starts). Then the app must answer: its event loop runs, it opens a clip. ``exit_s``
is from the window's close to the app process's end.

This file holds the material, the run and the report; the faults and the app seen from outside are in
``faults_outside.py``, the driver inside the app process in ``faults_in_app.py``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from faults_outside import FAULT_JOB, FAULTS, SEGMENT, App, Faults, mount_tmpfs, unmount

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "resources" / "sample" / "big_buck_bunny_320x180.mp4"
JOBS = {"a": (0, (128, 72)), "b": (24, (144, 80)), "c": (48, (128, 72))}   # first frame of the sample, size
FPS = 4             # the engine's 2-second segments hold 8 frames (its shortest)
THREADS = 1         # torch threads per worker: on a busy two-core machine two threads' barriers cost far more


# ---- the material: a small network, clips, references --------------------------------------

def small_model(folder: Path) -> Path:
    """The parity fixture's small SAVSR (num_feat 16), saved as the tests save it."""
    import torch

    from engine import SAVSR, save_model
    fixture = torch.load(ROOT / "tests" / "fixtures" / "parity_small.pt", weights_only=True)
    model = SAVSR(**fixture["config"])
    model.load_state_dict(fixture["state_dict"])
    return save_model(model, folder / "small.safetensors", {"name": "parity-small (app_faults)"})


def make_clip(out: Path, first: int, count: int, size: tuple[int, int]) -> Path:
    """Frames ``first..first+count-1`` of the bundled sample at ``size``, H.264 at :data:`FPS`."""
    import av
    with av.open(str(SAMPLE)) as src, av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "12", "preset": "fast"}
        for i, frame in enumerate(src.decode(video=0)):
            if i >= first + count:
                break
            if i >= first:
                scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p", interpolation="AREA")
                scaled.pts, scaled.time_base = i - first, Fraction(1, FPS)
                container.mux(stream.encode(scaled))
        container.mux(stream.encode())
    return out


def decoded(path: Path) -> list:
    """Every frame of ``path`` as its YUV planes in one uint8 array."""
    import av
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]


def compare(output: Path, ref: Path) -> dict:
    """Frame by frame (SHA-256 of the decoded planes): identical, how many differ, the worst PSNR of those."""
    import numpy as np
    mine, theirs = decoded(output), decoded(ref)
    differ = [(a, b) for a, b in zip(mine, theirs)
              if hashlib.sha256(a.tobytes()).digest() != hashlib.sha256(b.tobytes()).digest()]
    result = {"frames": len(mine), "frames_identical": len(mine) == len(theirs) and not differ,
              "frames_differing": len(differ) + abs(len(mine) - len(theirs))}
    if differ:
        mse = max(float(np.mean((a.astype(np.float64) - b) ** 2)) for a, b in differ)
        result["worst_psnr_db"] = round(10 * np.log10(255 ** 2 / max(mse, 1e-12)), 1)
    return result


def expected_job(clip: Path, model: Path, backend: str):
    """The job the app makes of ``clip`` with the benchmark's settings (checked against the queued one)."""
    from engine.render.job import RenderJob
    from savsr_app.state.app_state import GRID_TILE
    return RenderJob(input=str(clip), output="", codec="ffv1", crf=18, model=str(model), device="cpu",
                     precision="fp32", backend=backend, tile=GRID_TILE)


def reference(job, out: Path) -> Path:
    """``job`` rendered uninterrupted into ``out``, in this process, on :data:`THREADS` threads."""
    from engine.render.placement import Placement
    from engine.render.renderer import render
    render(job.replace(output=str(out), overwrite=True), placement=Placement(threads=THREADS))
    return out


def same_job(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "output"} == {k: v for k, v in b.items() if k != "output"}


# ---- the run ---------------------------------------------------------------------------------

def run(args) -> dict:
    chosen = set(args.faults)
    keys = list(JOBS)[:args.jobs]
    if missing := sorted({FAULT_JOB[f] for f in chosen} - set(keys)):
        sys.exit(f"app_faults: fault(s) {', '.join(f for f in chosen if FAULT_JOB[f] in missing)} need job(s) "
                 f"{', '.join(missing)}: use --jobs {1 + max(list(JOBS).index(k) for k in missing)}")
    tmp = Path(tempfile.mkdtemp(prefix="savsr-app-faults-"))
    folders = {name: tmp / name for name in ("home", "cache", "clips", "out", "refs", "away", "full", "app")}
    for name, path in folders.items():
        if name != "full":
            path.mkdir()
    os.environ["SAVSR_CACHE_DIR"] = str(folders["cache"])      # the references prime the app's graph cache
    app, faults, t0 = None, None, time.monotonic()
    try:
        model, inputs, jobs, refs = material(args, keys, chosen, folders, tmp)
        print(f"references rendered in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        faults = Faults(chosen, folders, inputs)
        out_folder = {k: str(folders["out"]) for k in keys}
        if "disk" in chosen and full_disk(faults, refs["c"], args.frames, folders["full"]):
            out_folder["c"] = str(folders["full"])
        app = App(app_config(model, inputs, jobs, out_folder, folders), folders["app"],
                  dict(os.environ, QT_QPA_PLATFORM="offscreen", SAVSR_STUDIO_HOME=str(folders["home"]),
                       SAVSR_CACHE_DIR=str(folders["cache"])))
        faults.run(app)
        report = finish(app, faults, jobs, refs, folders)
    except RuntimeError as exc:     # the app hung or died: say where, with the end of its log
        report = {"error": str(exc), "app_alive": app is not None and app.proc.poll() is None,
                  "app_log_tail": app.log.read_text()[-3000:] if app else ""}
        if app is not None:
            report["faults"] = list(faults.records.values())
            report["jobs"] = {k: _job_summary(j) for k, j in app.jobs.items()}
    finally:
        if app is not None:
            app.stop()
        for moved in folders["away"].iterdir():     # an input taken away goes back
            os.rename(moved, folders["clips"] / moved.name)
        unmount(folders["full"])
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report.update(seconds=round(time.monotonic() - t0, 1), cpu=cpu_summary(),
                  load_average=[round(x, 1) for x in os.getloadavg()])
    if args.keep:
        report["folder"] = str(tmp)
    return report


def material(args, keys: list[str], chosen: set[str], folders: dict, tmp: Path):
    """The network, the clips, the jobs the app is expected to queue and their uninterrupted renders."""
    model = Path(args.model) if args.model else small_model(tmp)
    inputs = {k: make_clip(folders["clips"] / f"faults_{k}.mp4", JOBS[k][0], args.frames, JOBS[k][1]) for k in keys}
    jobs = {k: expected_job(inputs[k], model, "openvino" if k == "b" and "graph" in chosen else "torch")
            for k in keys}
    refs = {k: reference(jobs[k], folders["refs"] / f"{k}.mkv") for k in keys}
    return model, inputs, jobs, refs


def full_disk(faults: Faults, ref: Path, frames: int, folder: Path) -> bool:
    """Mount a tmpfs of about one and a half segments of ``ref`` (job c's render) on ``folder``."""
    size = f"{int(ref.stat().st_size * SEGMENT / frames * 1.5 / 1024) + 16}k"
    why = mount_tmpfs(folder, size)
    faults.note("disk", pid=None, injected=why is None,
                how=f"job c's output folder is a tmpfs of {size} (about 1.5 segments)" if why is None
                else f"not injected: mount -t tmpfs failed ({why})")
    return why is None


def app_config(model: Path, inputs: dict, jobs: dict, out_folder: dict, folders: dict) -> dict:
    """The app's settings (the small network on the CPU, FFV1, one thread per worker) and each job's
    clip, backend and output folder, for the driver."""
    settings = {"model": str(model), "device": "cpu", "precision": "fp32", "backend": "torch",
                "threads": THREADS, "codec": "ffv1", "container": "mkv", "output_dir": str(folders["out"])}
    return {"settings": settings, "jobs": [{"key": k, "input": str(inputs[k]), "backend": jobs[k].backend,
                                            "folder": out_folder[k]} for k in inputs]}


def finish(app: App, faults: Faults, jobs: dict, refs: dict, folders: dict) -> dict:
    """After the faults: is the app alive, what did it render, how long does it take to quit."""
    import psutil
    app.send(cmd="check", path=str(Path(jobs[next(iter(jobs))].input)))
    app.wait_for(lambda: app.answers, "answering after the faults", 120)
    answer = app.answers[-1]
    alive = (answer["ev"] == "alive" and answer["visible"] and answer["opened"] is True
             and app.proc.poll() is None)
    compared = {}
    for key, j in app.jobs.items():
        summary = _job_summary(j)
        if j["state"] == "done":
            job = jobs[key]
            if not same_job(j["job"], job.to_dict()):     # not the job the reference rendered: render that one
                from engine.render.job import RenderJob
                summary["note"] = "the queued job differs from the expected one: its reference was rendered again"
                os.environ["SAVSR_CACHE_DIR"] = tempfile.mkdtemp(dir=folders["refs"])    # a cache not spoilt
                refs[key] = reference(RenderJob.from_dict(j["job"]), folders["refs"] / f"{key}-again.mkv")
            summary.update(compare(Path(j["job"]["output"]), refs[key]))
        compared[key] = summary
    children = psutil.Process(app.pid).children(recursive=True)
    app.send(cmd="close")
    app.wait_for(lambda: app.closing_at is not None, "closing", 60)
    try:
        app.proc.wait(timeout=120)
        exit_s = round(time.monotonic() - app.closing_at, 2)
    except subprocess.TimeoutExpired:
        exit_s = None
    outlived = after_exit(children)
    done = [s for s in compared.values() if s["state"] == "done"]
    return {"faults": [faults.records[k] for k in FAULTS if k in faults.records], "app_alive": alive,
            "jobs_done": len(done), "jobs": compared,
            "frames_identical": bool(done) and all(s["frames_identical"] for s in done),
            "exit_s": exit_s, "exit_code": app.proc.returncode,
            "processes_left": [name for name, when in outlived.items() if when is None],
            "processes_after_exit": outlived,
            "app_answer": {k: answer.get(k) for k in ("visible", "event_latency_ms", "opened")},
            "app_pid": app.pid}


def after_exit(children: list, grace: float = 5.0) -> dict:
    """The app's child processes that outlived it: ``{"pid command": seconds after the app ended}``, or
    ``None`` for one still running ``grace`` seconds later."""
    import psutil
    t0, ended = time.monotonic(), {}
    names = {}
    for p in children:
        try:
            names[p.pid] = f"{p.pid} {' '.join(p.cmdline())[:160]}"
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs([p for p in children if p.pid in names], timeout=grace,
                                     callback=lambda p: ended.update({names[p.pid]: round(time.monotonic() - t0, 2)}))
    ended.update({names[p.pid]: None for p in alive})
    return ended


def _job_summary(j: dict) -> dict:
    return {"state": j["state"], "message": j["message"], "runs": j["runs"], "worker_pids": j["workers"][:-1],
            "input": Path(j["job"]["input"]).name}


def cpu_summary() -> dict:
    """``lscpu``'s model name and the vector extensions that decide the CPU backends' speed."""
    from engine.backends.precision import cpu_info
    model, flags = cpu_info()
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_fp16", "avx_vnni")
    return {"model": model, "cpus": os.cpu_count() or 0, "flags": [f for f in wanted if f in flags]}


# ---- the command line ------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")
    ap.add_argument("--faults", default=",".join(FAULTS),
                    help=f"comma-separated, of {', '.join(FAULTS)} (default: all)")
    ap.add_argument("--jobs", type=int, default=3, choices=(1, 2, 3), help="jobs queued (default 3)")
    ap.add_argument("--frames", type=int, default=24, help="frames per job (default 24: three segments)")
    ap.add_argument("--model", default=None, help="a model file (default: the small test network)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (outputs, the app's log)")
    ap.add_argument("--app", metavar="CONFIG", help=argparse.SUPPRESS)     # the app process itself
    args = ap.parse_args()
    if args.app:
        from faults_in_app import app_main
        return app_main(args.app)
    args.faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    if unknown := [f for f in args.faults if f not in FAULTS]:
        ap.error(f"unknown fault(s) {', '.join(unknown)}: use {', '.join(FAULTS)}")
    if {"abort", "disk"} & set(args.faults) and args.frames < 2 * SEGMENT:
        ap.error(f"--frames must be at least {2 * SEGMENT} for abort and disk: they need a job of two segments")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    ok = report.get("app_alive") and report.get("frames_identical") and "error" not in report
    return 0 if ok else 1


def print_report(report: dict):
    if "error" in report:
        print(f"error: {report['error']}")
    for f in report.get("faults", []):
        outcome = f.get("outcome", {})
        print(f"{f['kind']:6} pid {f.get('pid')}, {f.get('process', '-')}; job {f['job']}: {f.get('how', '')}")
        print(f"       -> {outcome.get('state')}: {outcome.get('message')}")
        if "retry" in f:
            print(f"       retried -> {f['retry']['state']}: {f['retry']['message']}")
        for line in f.get("log", []):
            print(f"       log: {line}")
    for key, j in report.get("jobs", {}).items():
        differ = f" ({j['frames_differing']} differ, worst {j['worst_psnr_db']} dB)" if "worst_psnr_db" in j else ""
        print(f"job {key} ({j['input']}): {j['state']}, frames identical: {j.get('frames_identical')}{differ}")
    print(f"app alive: {report.get('app_alive')}, jobs done: {report.get('jobs_done')}, "
          f"frames identical: {report.get('frames_identical')}, exit {report.get('exit_s')} s")


if __name__ == "__main__":
    sys.exit(main())
