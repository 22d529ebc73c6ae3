"""The render-time estimate against real renders (issue 16, item 3): estimate / actual per render.

    .venv/bin/python benchmarks/measure_estimates.py [--backend torch] [--model clean] [--frames 30]

Calibrates :class:`savsr_app.state.estimate.Calibration` from one render the way the app does (steady
speed from the last progress report, overhead from the rest of the wall time, CPU seconds and the load
average at the start), then estimates three renders of other sizes, renders them, and prints estimate /
actual for each, with the load at the time. Two calibrations run side by side: the app's (CPU seconds,
turned into wall time with the load of the moment) and the wall-time-only one it replaced. As in the
app, each finished render calibrates the next estimate.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]             # the test helpers make the clips

from helpers.clipmaker import footage, make_tagged_clip  # noqa: E402

from engine.render.job import RenderJob  # noqa: E402
from engine.render.renderer import render  # noqa: E402
from savsr_app.state.estimate import (  # noqa: E402
    Calibration,
    calibration_key,
    machine_load,
    others_load,
    own_load,
    process_cpu_seconds,
    work_units,
)

# Other sizes than the renders FRAME_UNITS and UPSAMPLER_SHARE were fitted on (160x90 x2, 80x44 x4,
# 224x126 x1.5, 320x180 x2.5x2)
CALIBRATE = ((128, 72), (2.0, 2.0), 5)
RENDERS = (((96, 54), (3.0, 3.0), 6), ((256, 144), (2.0, 2.0), 3), ((400, 224), (1.75, 1.5), 2))


def run(folder: Path, size, scale, frames, model: str, backend: str):
    clip = make_tagged_clip(folder / f"clip_{size[0]}x{size[1]}_{frames}.mp4", size=size, fps=25,
                            frames=list(footage(size[0], size[1], frames)))
    job = RenderJob(input=str(clip), output=str(folder / f"out_{size[0]}_{scale[0]}_{frames}.mp4"),
                    scale_w=scale[0], scale_h=scale[1], model=model, backend=backend, device="cpu")
    last = []
    load, cpu, started = machine_load(), process_cpu_seconds(), time.monotonic()
    result = render(job, progress=lambda p: last.append(p.fps) if p.fps else None)
    wall = time.monotonic() - started
    return (wall, (last[-1] if last else result.fps), result.frames, process_cpu_seconds() - cpu,
            others_load(load, machine_load()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--model", default="clean")
    parser.add_argument("--frames", type=int, default=0,
                        help="frames of every render (default: the few frames of each listed above)")
    args = parser.parse_args()
    frames_of = (lambda n: args.frames or n)
    cal, walls = Calibration(), Calibration()       # the app's (CPU seconds) and wall time only
    key = calibration_key(args.model, args.backend, "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size, scale, frames = CALIBRATE
        frames = frames_of(frames)
        wall, fps, n, cpu, load = run(folder, size, scale, frames, args.model, args.backend)
        cal.record_render(key, work_units(size, scale, 1), n, fps, wall, cpu, load)
        walls.record_render(key, work_units(size, scale, 1), n, fps, wall)
        ended = time.monotonic()
        e = cal.table[key]
        print(f"calibration: {size[0]}x{size[1]} x{scale[0]:g}, {n} frames: {wall:.1f} s wall, {cpu:.1f} CPU s, "
              f"others' load {load:.1f}, steady {fps:.3f} fps -> {e['cpu_rate']:.0f} units per CPU s, overhead "
              f"{e['cpu_overhead']:.1f} CPU s, share factor {e['share_factor']:.2f}", flush=True)
        for size, scale, frames in RENDERS:
            frames = frames_of(frames)
            units = work_units(size, scale, frames)
            load_now = max(0.0, machine_load() - own_load(None, False, time.monotonic() - ended))
            est = cal.estimate(key, units, "this CPU", load=load_now).seconds
            est_wall = walls.estimate(key, units, "this CPU").seconds
            wall, fps, n, cpu, load = run(folder, size, scale, frames, args.model, args.backend)
            print(f"{size[0]}x{size[1]} x{scale[0]:g}x{scale[1]:g}, {n} frames, "
                  f"others' load {load_now:.1f} at the estimate (others' {load:.1f} during): "
                  f"actual {wall:.1f} s ({cpu:.1f} CPU s); estimate {est:.1f} s, ratio {est / wall:.2f}; "
                  f"wall-time-only estimate {est_wall:.1f} s, ratio {est_wall / wall:.2f}", flush=True)
            ended = time.monotonic()
            cal.record_render(key, work_units(size, scale, 1), n, fps, wall, cpu, load)
            walls.record_render(key, work_units(size, scale, 1), n, fps, wall)


if __name__ == "__main__":
    main()
