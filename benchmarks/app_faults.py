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
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "resources" / "sample" / "big_buck_bunny_320x180.mp4"
FAULTS = ("kill", "abort", "input", "graph", "disk")
FAULT_JOB = {"kill": "a", "abort": "a", "input": "b", "graph": "b", "disk": "c"}
JOBS = {"a": (0, (128, 72)), "b": (24, (144, 80)), "c": (48, (128, 72))}   # first frame of the sample, size
FPS = 4             # the engine's 2-second segments hold 8 frames (its shortest)
SEGMENT = 8
THREADS = 1         # torch threads per worker: on a busy two-core machine two threads' barriers cost far more
GROWN = "64m"       # the full tmpfs, grown for the retry
TIMEOUT = 240       # seconds any one step of the queue may take
LOG_WORDS = {"kill": ("died",), "abort": ("died",), "input": ("not found", "failed"),   # a fault's lines in
             "graph": ("backend", "computing on"), "disk": ("space", "resuming", "failed")}  # its job's log


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


# ---- faults from outside -------------------------------------------------------------------

def mount_tmpfs(folder: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` on ``folder``; ``None``, or why it could not be."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
    except OSError as exc:
        return str(exc)
    return None if done.returncode == 0 else done.stderr.strip() or f"mount exited with {done.returncode}"


def grow_tmpfs(folder: Path) -> str | None:
    done = subprocess.run(["mount", "-o", f"remount,size={GROWN}", str(folder)], capture_output=True, text=True)
    return None if done.returncode == 0 else done.stderr.strip()


def unmount(folder: Path):
    subprocess.run(["umount", str(folder)], capture_output=True)


def corrupt_graphs(cache: Path) -> list[str]:
    """Overwrite every exported and compiled graph file in ``cache`` with noise of the same length (the
    JSON records of checks and decisions stay); the graph folders hit, by name."""
    noise = random.Random(24)
    hit = set()
    for path in sorted((cache / "graphs").rglob("*")):
        if path.is_file() and path.suffix != ".json":
            path.write_bytes(noise.randbytes(path.stat().st_size))
            hit.add(next((p.name for p in path.parents if p.name[:1].isdigit() and "x" in p.name),
                         path.parent.name))    # a shape's folder: 7x80x144-torch2.x
    return sorted(hit)


def render_workers(app_pid: int) -> list:
    """The app's worker processes (multiprocessing's spawn children, not its resource tracker)."""
    import psutil
    found = []
    try:
        children = psutil.Process(app_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for p in children:
        try:
            line = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if "spawn_main" in line and "resource_tracker" not in line:
            found.append(p)
    return found


# ---- the app, seen from outside --------------------------------------------------------------

class App:
    """The app process: its events (one JSON object a line on a pipe), the state of each job they
    give, and the commands it takes on stdin."""

    def __init__(self, config: dict, folder: Path, env: dict):
        read, write = os.pipe()
        config = dict(config, events_fd=write)
        (folder / "driver.json").write_text(json.dumps(config))
        self.log = folder / "app.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--app",
                                          str(folder / "driver.json")], cwd=folder, env=env, stdin=subprocess.PIPE,
                                         stdout=log, stderr=subprocess.STDOUT, pass_fds=(write,), text=True,
                                         preexec_fn=_no_core_files)
        os.close(write)
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(read,), daemon=True).start()
        self.jobs: dict[str, dict] = {}     # by key: id, state, done, runs, message, logs, workers (pids per run)
        self.by_id: dict[str, str] = {}
        self.running: str | None = None
        self.answers: list[dict] = []
        self.closing_at: float | None = None
        self.ended = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self, fd: int):
        with os.fdopen(fd) as pipe:
            for line in pipe:
                self.events.put(json.loads(line))
        self.events.put({"ev": "eof"})

    def send(self, **command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def wait_for(self, cond, what: str, timeout: float = TIMEOUT):
        """Take events until ``cond()``; raises ``RuntimeError`` when the app ends or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not get to {what} within {timeout:.0f} s")
            try:
                self._take(self.events.get(timeout=0.05))
            except queue.Empty:
                pass
            self._see_workers()
            if self.ended and self.events.empty() and not cond():
                raise RuntimeError(f"the app process ended (exit code {self.proc.wait()}) before {what}")

    def _take(self, ev: dict):
        kind = ev["ev"]
        if kind == "queued":
            self.jobs[ev["key"]] = dict(id=ev["id"], job=ev["job"], frames=ev["frames"], state="queued", done=0,
                                        runs=0, message="", logs=[], workers=[[]], outcomes=[])
            self.by_id[ev["id"]] = ev["key"]
        elif kind == "started":
            self.running = ev["id"]
        elif kind == "progress":
            self.jobs[self.by_id[ev["id"]]].update(done=ev["done"], state=ev["state"])
        elif kind == "finished":
            j = self.jobs[self.by_id[ev["id"]]]
            j.update(state=ev["state"], message=ev["message"], done=ev["done"])
            j["outcomes"].append({"state": ev["state"], "message": ev["message"]})
            j["runs"] += 1
            j["workers"].append([])
            self.running = None
        elif kind == "log":
            key = self.by_id.get(ev.get("id") or "")
            if key:
                self.jobs[key]["logs"].append(ev["text"])
        elif kind in ("alive", "error"):
            self.answers.append(ev)
        elif kind == "closing":
            self.closing_at = ev["t"]
        elif kind == "eof":
            self.ended = True

    def _see_workers(self):
        key = self.by_id.get(self.running or "")
        if key:
            seen = self.jobs[key]["workers"][-1]
            seen += [p.pid for p in render_workers(self.pid) if p.pid not in seen]

    def worker(self, key: str, not_pid: int | None = None):
        """A worker process of the running job ``key``, other than ``not_pid``; ``None`` if none runs."""
        if self.running != self.jobs[key]["id"]:
            return None
        return next((p for p in render_workers(self.pid) if p.pid != not_pid), None)

    def stop(self):
        """End the app and any worker it left (only those processes: by their ids)."""
        for p in render_workers(self.pid):
            p.kill()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _no_core_files():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))    # an abort() writes no core file into the tree


# ---- the faults, in the order the queue meets them -------------------------------------------

class Faults:
    """Injects the chosen faults into ``app`` as its queue runs and records what each did."""

    def __init__(self, chosen: set[str], folders: dict, inputs: dict):
        self.app: App | None = None
        self.chosen, self.folders, self.inputs = chosen, folders, inputs
        self.records: dict[str, dict] = {}

    def note(self, kind: str, **fields):
        self.records[kind] = dict(kind=kind, job=FAULT_JOB[kind], **fields)
        print(f"fault {kind}: {fields}", file=sys.stderr)

    def run(self, app: App):
        self.app = app
        app.wait_for(lambda: len(app.jobs) == len(self.inputs), "queueing the jobs", 120)
        if "a" in app.jobs:
            self._job_a()
        if "b" in app.jobs:
            self._job_b()
        if "c" in app.jobs:
            self._job_c()
        for key in app.jobs:
            app.wait_for(lambda k=key: self._settled(k), f"finishing job {key}")
        self._outcomes()

    def _settled(self, key: str) -> bool:
        j = self.app.jobs[key]
        return j["state"] in ("done", "failed", "cancelled") and j["runs"] >= (2 if j.get("retry") else 1)

    def _job_a(self):
        app = self.app
        killed = None
        if "kill" in self.chosen:
            app.wait_for(lambda: app.jobs["a"]["done"] >= 1 and app.worker("a") or app.jobs["a"]["runs"],
                         "rendering job a")
            worker = app.worker("a")
            if worker is None:
                self.note("kill", pid=None, injected=False, how="job a finished before a worker could be killed")
            else:
                killed = worker.pid
                os.kill(killed, signal.SIGKILL)
                self.note("kill", pid=killed, process="render worker", injected=True,
                          how=f"SIGKILL at {app.jobs['a']['done']} frames done")
        self._while_a_renders()
        if "abort" in self.chosen:
            app.wait_for(lambda: app.jobs["a"]["done"] > SEGMENT and app.worker("a", killed) or app.jobs["a"]["runs"],
                         "rendering job a's second segment")
            worker = app.worker("a", killed)
            if worker is None:
                self.note("abort", pid=None, injected=False, how="job a finished before its worker could be aborted")
            else:
                os.kill(worker.pid, signal.SIGABRT)
                self.note("abort", pid=worker.pid, process="render worker", injected=True,
                          how=f"SIGABRT (the default action: abort) at {app.jobs['a']['done']} frames done")

    def _while_a_renders(self):
        """Job b's input goes, and the graph cache is spoilt, while an earlier job renders."""
        if "input" in self.chosen:
            src = self.inputs["b"]
            os.rename(src, self.folders["away"] / src.name)
            self.note("input", pid=None, injected=True,
                      how=f"{src.name} renamed away to another folder while job a rendered (root ignores chmod 000)")
        if "graph" in self.chosen:
            shapes = corrupt_graphs(self.folders["cache"])
            self.note("graph", pid=None, injected=bool(shapes),
                      how=f"every graph file of {', '.join(shapes) or 'no shape (none was cached)'} overwritten "
                          "with noise while job a rendered")

    def _job_b(self):
        app = self.app
        app.wait_for(lambda: app.jobs["b"]["runs"] >= 1, "job b's first run")
        if "input" in self.chosen:
            self.records["input"].update(pid=app.pid, process="app (its render thread opens the input)")
            src = self.inputs["b"]
            os.rename(self.folders["away"] / src.name, src)
            self._retry("b")

    def _job_c(self):
        app = self.app
        app.wait_for(lambda: app.jobs["c"]["runs"] >= 1, "job c's first run")
        if "disk" in self.chosen and "disk" in self.records and self.records["disk"]["injected"]:
            pids = app.jobs["c"]["workers"][0]
            # the worker writes the segment files; the app only the manifest (a few hundred bytes) and the join
            self.records["disk"].update(pid=pids[-1] if pids else app.pid,
                                        process="render worker (writes the segment files)" if pids else "app")
            if app.jobs["c"]["state"] != "done":
                why = grow_tmpfs(self.folders["full"])
                self.records["disk"]["how"] += f"; grown to {GROWN} for the retry" if why is None else \
                    f"; could not be grown ({why})"
                self._retry("c")

    def _retry(self, key: str):
        self.app.jobs[key]["retry"] = True
        self.app.send(cmd="retry", id=self.app.jobs[key]["id"])

    def _outcomes(self):
        """Each fault's outcome: the state and message of its job's run that met it, the retry's, and the
        job's log lines about it."""
        app = self.app
        for kind, rec in self.records.items():
            j = app.jobs[rec["job"]]
            runs = j["outcomes"]
            if kind == "graph":     # met by the run after the input came back, if it was taken
                pids = j["workers"][len(runs) - 1]
                rec.update(pid=pids[-1] if pids else None, process="render worker (prepares the graph)")
            rec["outcome"] = runs[-1] if kind == "graph" else runs[0]
            if kind in ("input", "disk") and len(runs) > 1:
                rec["retry"] = runs[-1]
            rec["log"] = [t for t in j["logs"] if any(word in t for word in LOG_WORDS[kind])]


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


# ---- inside the app process: the driver ------------------------------------------------------

class Driver:
    """What a user does in the window, step by step, with the window's own event loop turning in
    between (as pytest-qt's waits do); reports the queue's events on the pipe."""

    def __init__(self, app, config: dict):
        self.app, self.config = app, config
        self.out = os.fdopen(config["events_fd"], "w", buffering=1)
        self.commands: queue.Queue = queue.Queue()
        threading.Thread(target=self._read_commands, daemon=True).start()
        self.window = None

    def _read_commands(self):
        for line in sys.stdin:
            self.commands.put(json.loads(line))

    def emit(self, **event):
        self.out.write(json.dumps(event) + "\n")

    def wait(self, cond, timeout: float):
        from savsr_app.qt import QEventLoop
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def start(self):
        try:
            self._queue_jobs()
            self._serve()
        except Exception:   # the driver's own failure: say so and end, never leave a window waiting
            self.emit(ev="error", text=traceback.format_exc())
            self.app.quit()

    def _queue_jobs(self):
        from savsr_app.window.main_window import MainWindow
        w = self.window = next(x for x in self.app.topLevelWidgets() if isinstance(x, MainWindow))
        w.confirm_close = lambda _question: True    # nothing runs when it closes; offscreen nobody could answer
        r = w.runner
        r.jobStarted.connect(lambda jid: self.emit(ev="started", id=jid))
        r.progressed.connect(self._progress)
        r.jobFinished.connect(self._finished)
        r.logMessage.connect(self._log)
        self.emit(ev="ready", pid=os.getpid())
        w.queue_panel.run_action.trigger()          # hold the queue while the jobs are added
        for spec in self.config["jobs"]:
            if self._open(spec["input"]) is not True:
                raise RuntimeError(f"could not open {spec['input']}")
            if w.settings.backend != spec["backend"]:     # as the settings dialog's OK does
                w.settings.backend = spec["backend"]
                w.save_settings()
                w.apply_settings()
            w.output_panel.folder.setText(spec["folder"])
            entry = w.add_to_queue()
            if entry is None:
                raise RuntimeError(f"the app refused to queue {spec['input']}")
            self.emit(ev="queued", key=spec["key"], id=entry.id, job=entry.job.to_dict(), frames=entry.frames)
        w.queue_panel.run_action.trigger()

    def _open(self, path: str):
        """Open ``path`` as File > Open does; ``True``, or the app's message."""
        w, result = self.window, []
        w.clipOpened.connect(on_open := lambda _info: result.append(True))
        w.openFailed.connect(on_fail := lambda msg: result.append(msg))
        try:
            w.open_path(path)
            self.wait(lambda: result, 60)
        finally:
            w.clipOpened.disconnect(on_open)
            w.openFailed.disconnect(on_fail)
        return result[0]

    def _progress(self, job_id: str):
        e = self.window.queue_model.entry(job_id)
        self.emit(ev="progress", id=job_id, done=e.done, state=e.state)

    def _finished(self, job_id: str, state: str):
        e = self.window.queue_model.entry(job_id)
        self.emit(ev="finished", id=job_id, state=state, message=e.message, done=e.done)

    def _log(self, text: str):
        e = next((e for e in self.window.queue_model.entries if text.startswith(f"{e.name}: ")), None)
        self.emit(ev="log", id=e.id if e else None, text=text)

    def _serve(self):
        """The commands from outside, until ``close``."""
        while True:
            self.wait(lambda: not self.commands.empty(), 3600)
            command = self.commands.get()
            if command["cmd"] == "retry":           # select the row, press Retry
                self.window.queue_panel.select(command["id"])
                self.window.queue_panel.retry_action.trigger()
            elif command["cmd"] == "check":
                self._check(command["path"])
            elif command["cmd"] == "close":
                self.emit(ev="closing", t=time.monotonic())
                self.window.close()
                return

    def _check(self, path: str):
        from savsr_app.qt import QTimer
        fired, t0 = [], time.monotonic()
        QTimer.singleShot(0, lambda: fired.append(time.monotonic()))
        self.wait(lambda: fired, 30)
        latency = (fired[0] - t0) * 1000
        opened = self._open(path)
        self.emit(ev="alive", visible=self.window.isVisible(), event_latency_ms=round(latency, 1), opened=opened)


def app_main(config_path: str) -> int:
    """The app as ``savsr-app`` starts it, with the driver's first step queued on its event loop."""
    config = json.loads(Path(config_path).read_text())
    from savsr_app.main import main
    from savsr_app.qt import QApplication, QTimer
    from savsr_app.state.settings import AppSettings, SettingsStore
    SettingsStore().save(AppSettings(**config["settings"]))
    app = QApplication(sys.argv[:1])        # main() takes this one
    driver = Driver(app, config)
    QTimer.singleShot(0, driver.start)
    return main([])


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
