"""``benchmarks/app_faults.py``, the side outside the app: the faults (a tmpfs that fills, noise in the
graph cache, the render workers found among the app's children), the app process seen through its events,
and :class:`Faults`, which injects each fault when the queue gets to it and records what it did."""
from __future__ import annotations

import json
import os
import queue
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

FAULTS = ("kill", "abort", "input", "graph", "disk")
FAULT_JOB = {"kill": "a", "abort": "a", "input": "b", "graph": "b", "disk": "c"}
SEGMENT = 8         # frames in the engine's 2-second segments at the clips' 4 frames per second (its shortest)
GROWN = "64m"       # the full tmpfs, grown for the retry
TIMEOUT = 240       # seconds any one step of the queue may take
LOG_WORDS = {"kill": ("stopped unexpectedly",), "abort": ("stopped unexpectedly",),     # a fault's lines in
             "input": ("not found", "failed"), "graph": ("backend", "computing on", "graph"),   # its job's log
             "disk": ("space", "resuming", "failed")}
APP_FAULTS = Path(__file__).resolve().with_name("app_faults.py")     # run with --app: the app process


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
            self.proc = subprocess.Popen([sys.executable, str(APP_FAULTS), "--app",
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
