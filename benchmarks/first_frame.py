"""How soon ``savsr upscale`` shows its first finished frame, phase by phase (issue 27 item 5).

Runs the README's main job (the bundled sample, 2 x 1.5, the first second: 25 frames of 320x180 ->
640x270) as a new user does: a fresh process, a new HOME, an empty graph cache, no CI. Each run is a
child process that stamps every phase against its own start (taken by the parent just before it
spawns it, so the interpreter's start counts):

- ``imports``: the interpreter and ``engine.cli`` with the upscale command's imports (``run``),
- ``probe``: reading the clip (``engine.video.probe``),
- ``model choice``: auto's model for the clip (``choose_model``) and loading its weights,
- ``compute choice``: what computes the render (``resolve``: backend and precision, any timing),
- ``preparation``: the network readied for the render's tile shapes (``Upscaler.prepare``),
- ``first frame``: the first finished frame reported to the progress bar,
- ``whole job``: the process's exit.

Each phase is given as wall seconds / CPU seconds of the process (on a busy machine the CPU seconds
say more about an idle one, as long as the threads do not spin). ``--runs N`` repeats it; with
``--compare REV`` each round runs REV's checkout (a ``git worktree`` the script makes in /tmp) and this
one alternately, so a busy machine's load falls on both alike. The load average is printed before and
after each run.

    .venv/bin/python benchmarks/first_frame.py --runs 2 [--compare HEAD~1]
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
JOB = ["--sample", "--width-scale", "2", "--height-scale", "1.5", "--end", "1", "-y"]
PHASES = ("imports", "probe", "model choice", "compute choice", "preparation", "first frame", "whole job")

CHILD = r"""
import json, os, sys, time
t0 = float(os.environ["FIRST_FRAME_T0"])
stamps = {}
def stamp(name):
    if name not in stamps:
        t = os.times()
        stamps[name] = (time.time() - t0, t.user + t.system)
        print(f"STAMP {name} {stamps[name][0]:.2f} {stamps[name][1]:.2f}", file=sys.stderr, flush=True)
from engine.cli import main
import engine.render.renderer as r
import engine.render.plan  # noqa: F401  (what run imports on its way)
stamp("imports")
def wrap(owner, name, phase):
    real = getattr(owner, name)
    def wrapped(*a, **k):
        out = real(*a, **k)
        stamp(phase)
        return out
    setattr(owner, name, wrapped)
wrap(r, "probe", "probe")
wrap(r, "load_model", "model choice")
wrap(r, "resolve", "compute choice")
wrap(r.Upscaler, "prepare", "preparation")
step = r.ProgressMeter.step
def counted(self, *a, **k):
    step(self, *a, **k)
    if self.done >= 1 and "first frame" not in stamps:
        stamp("first frame")
        if os.environ.get("FIRST_FRAME_ONLY"):
            print("STAMPS " + json.dumps(stamps), flush=True)
            os._exit(0)
r.ProgressMeter.step = counted
code = main(sys.argv[1:])
stamp("whole job")
print("STAMPS " + json.dumps(stamps), flush=True)
sys.exit(code)
"""


def load() -> float:
    return os.getloadavg()[0]


def one_run(checkout: Path, work: Path, priority: int = 0, first_only: bool = False) -> dict:
    """The phases of one fresh run of the README job from ``checkout``, in seconds since its start."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_CURRENT_TEST")}
    env.update(HOME=str(home), SAVSR_CACHE_DIR=str(home / "cache"), PYTHONPATH=str(checkout),
               FIRST_FRAME_T0=repr(time.time()), **({"FIRST_FRAME_ONLY": "1"} if first_only else {}))
    child = subprocess.Popen([sys.executable, "-c", CHILD, "upscale", *JOB, "-q"], cwd=home, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=(lambda: os.nice(-priority)) if priority else None)
    errors = []
    for line in child.stderr:           # each phase as it ends (a busy machine takes long)
        if line.startswith("STAMP "):
            print("  " + line[len("STAMP "):].rstrip() + " (wall s, CPU s)", flush=True)
        else:
            errors.append(line)
    out = child.stdout.read()
    child.wait()
    line = next((x for x in out.splitlines() if x.startswith("STAMPS ")), None)
    if child.returncode or line is None:
        raise SystemExit(f"run failed ({child.returncode}): {''.join(errors).strip()[-400:]}")
    return json.loads(line[len("STAMPS "):])


def table(rows: list[tuple[str, dict, float, float]]) -> str:
    """One line per run: each phase's end as wall seconds / CPU seconds of the process."""
    head = f"{'run':<14}" + "".join(f"{p:>16}" for p in PHASES) + f"{'load':>12}"
    lines = [head]
    for name, stamps, before, after in rows:
        cells = [stamps.get(p) for p in PHASES]
        lines.append(f"{name:<14}" + "".join(f"{c[0]:>8.1f}/{c[1]:<7.1f}" if c else f"{'-':>16}" for c in cells)
                     + f"{before:>6.1f}-{after:<5.1f}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--compare", metavar="REV", help="also run this revision, alternating with the checkout")
    ap.add_argument("--priority", type=int, default=0, metavar="N",
                    help="run the job N nice levels above the others (needs root; within its session's "
                         "autogroup only, so it hardly helps against other sessions)")
    ap.add_argument("--compare-first-frame-only", action="store_true",
                    help="the compared revision's runs stop at their first frame (a slow one on a busy machine)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="savsr-first-frame-"))
    checkouts = [("this checkout", ROOT)]
    if args.compare:
        other = work / "compare"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.compare],
                       check=True, capture_output=True)
        subprocess.run(["git", "-C", str(other), "lfs", "pull"], capture_output=True)
        (other / "resources").exists() or sys.exit("the compared checkout has no resources")
        checkouts.insert(0, (args.compare, other))
    print(f"CPU: {os.cpu_count()} cores; each phase ends at wall s / CPU s since the process started", flush=True)
    rows = []
    try:
        for _ in range(args.runs):
            for name, checkout in checkouts:
                before = load()
                stamps = one_run(checkout, work, args.priority,
                                 args.compare_first_frame_only and checkout != ROOT)
                rows.append((name, stamps, before, load()))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    finally:
        if args.compare:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "compare")],
                           capture_output=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
