"""Measure the render-time estimate against real renders (issue 16, item 3); not a test (slow).

    .venv/bin/python tests/app/measure_estimates.py [--backend torch] [--model clean]

Calibrates :class:`savsr_app.estimate.Calibration` from one render the way the app does (steady
speed from the last progress report, overhead from the rest of the wall time), then estimates
three renders of other sizes, renders them, and prints estimate / actual for each; as in the app,
each finished render calibrates the next estimate.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "engine")]

from clipmaker import footage, make_tagged_clip  # noqa: E402
from engine.render.job import RenderJob  # noqa: E402
from engine.render.renderer import render  # noqa: E402
from savsr_app.estimate import Calibration, calibration_key, work_units  # noqa: E402

CALIBRATE = ((128, 72), (2.0, 2.0), 8)
RENDERS = (((96, 54), (3.0, 3.0), 12), ((160, 90), (2.0, 2.0), 6), ((128, 72), (1.5, 1.25), 10))


def run(folder: Path, size, scale, frames, model: str, backend: str):
    clip = make_tagged_clip(folder / f"clip_{size[0]}x{size[1]}_{frames}.mp4", size=size, fps=25,
                            frames=list(footage(size[0], size[1], frames)))
    job = RenderJob(input=str(clip), output=str(folder / f"out_{size[0]}_{scale[0]}_{frames}.mp4"),
                    scale_w=scale[0], scale_h=scale[1], model=model, backend=backend, device="cpu")
    last = []
    started = time.monotonic()
    result = render(job, progress=lambda p: last.append(p.fps) if p.fps else None)
    return time.monotonic() - started, (last[-1] if last else result.fps), result.frames


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--model", default="clean")
    args = parser.parse_args()
    cal = Calibration()
    key = calibration_key(args.model, args.backend, "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size, scale, frames = CALIBRATE
        wall, fps, n = run(folder, size, scale, frames, args.model, args.backend)
        cal.record_render(key, work_units(size, scale, 1), n, fps, wall)
        print(f"calibration: {size[0]}x{size[1]} x{scale[0]:g}, {n} frames: {wall:.1f} s, steady {fps:.3f} fps "
              f"-> rate {cal.table[key]['rate']:.0f} units/s, overhead {cal.table[key]['overhead']:.1f} s", flush=True)
        for size, scale, frames in RENDERS:
            est = cal.estimate(key, work_units(size, scale, frames), "this CPU").seconds
            wall, fps, n = run(folder, size, scale, frames, args.model, args.backend)
            print(f"{size[0]}x{size[1]} x{scale[0]:g}x{scale[1]:g}, {n} frames: estimate {est:.1f} s, actual "
                  f"{wall:.1f} s, ratio {est / wall:.2f}", flush=True)
            cal.record_render(key, work_units(size, scale, 1), n, fps, wall)


if __name__ == "__main__":
    main()
