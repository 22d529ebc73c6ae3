"""Peak memory of a render for a short and a long clip of the same size, and CPU render speed.

Each render runs in its own process, which reports its peak resident memory (``ru_maxrss``), so
the figures do not mix. Clips are made from the real frames in ``../shared/data/basketballpass``
(played forwards and backwards to any length), with a stereo AAC track.

    .venv/bin/python benchmarks/render_memory.py                      # small model, defaults
    .venv/bin/python benchmarks/render_memory.py --model resources/models/savsr_studio_default.safetensors

    .venv/bin/python benchmarks/render_memory.py --calibrate          # encoder memory per output pixel

Defaults: memory at 128x72 -> x2 for 10 s and 60 s at 25 fps; speed at 480x270 -> x2 over 8 frames.
``--calibrate`` measures what ``engine/memory.py`` assumes: the peak memory each encoder adds per
output pixel over 60 frames (x264/x265 look-ahead and references, conversions), 8 and 10-bit.
Without ``--model`` the bundled model is used if present, else the parity network of
``../shared/savsr/parity_small.pt`` (num_feat 16) saved to a temporary file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMES = ROOT.parent / "shared" / "data" / "basketballpass"

CHILD = r"""
import json, resource, sys, time, torch
sys.path.insert(0, {root!r})
torch.set_num_threads({threads})
from engine.render.job import RenderJob
from engine.render.renderer import render
t = time.monotonic()
r = render(RenderJob({src!r}, {out!r}, scale_w=2.0, scale_h=2.0, model={model!r}, device="cpu", end={end!r}))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(json.dumps(dict(frames=r.frames, seconds=time.monotonic() - t, fps=r.fps, peak_mb=peak / 2**20,
                      size=r.size)))
"""


ENCODER_CHILD = r"""
import resource, sys, torch
sys.path.insert(0, {root!r})
from fractions import Fraction
from engine.video.encode import VideoWriter
w, h, codec, pix = {w}, {h}, {codec!r}, {pix!r}
frames = [torch.nn.functional.interpolate(torch.rand(1, 3, h // 8, w // 8), size=(h, w), mode="bilinear")[0]
          for _ in range(4)]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
writer = VideoWriter({out!r}, {fmt!r}, codec, size=(w, h), pix_fmt=pix, time_base=Fraction(1, 25),
                     rate=Fraction(25), faststart=False)
for i in range(60):
    writer.write(frames[i % 4], i)
writer.close()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * (1 if sys.platform == "darwin" else 1024))
"""
CALIBRATE = [("h264", "yuv420p"), ("h264", "yuv420p10le"), ("h265", "yuv420p"), ("h265", "yuv420p10le"),
             ("prores", "yuv422p10le"), ("ffv1", "yuv420p")]


def calibrate(size: tuple[int, int], tmp: Path):
    w, h = size
    print(f"encoder peak memory over 60 frames at {w}x{h} (bytes per output pixel):")
    for codec, pix in CALIBRATE:
        fmt = "matroska" if codec == "ffv1" else "mov"
        code = ENCODER_CHILD.format(root=str(ROOT), w=w, h=h, codec=codec, pix=pix, fmt=fmt,
                                    out=str(tmp / f"cal.{'mkv' if fmt == 'matroska' else 'mov'}"))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
        grown = int(done.stdout.strip().splitlines()[-1])
        print(f"  {codec:7s} {pix:12s} {grown / (w * h):7.1f} B/px  ({grown / 2**20:.0f} MiB)")


def make_clip(path: Path, seconds: float, size: tuple[int, int], fps: int = 25) -> Path:
    import av
    import numpy as np
    names = sorted(FRAMES.glob("*.png"))
    if not names:
        sys.exit(f"no frames found in {FRAMES}")
    frames = []
    for name in names:
        with av.open(str(name)) as c:
            frames.append(next(c.decode(video=0)).reformat(width=size[0], height=size[1], format="yuv420p",
                                                           interpolation="AREA"))
    order = frames + frames[-2:0:-1]  # forwards and backwards: seamless at any length
    count = int(seconds * fps)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps, options={"crf": "18", "preset": "veryfast"})
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        a = out.add_stream("aac", rate=48000, layout="stereo")
        for i in range(count):
            frame = order[i % len(order)]
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        t = np.arange(int(seconds * 48000)) / 48000
        tone = (0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        for k in range(0, tone.size, 1024):
            chunk = av.AudioFrame.from_ndarray(np.stack([tone[k:k + 1024]] * 2), format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, k
            out.mux(a.encode(chunk))
        out.mux(a.encode(None))
    return path


def default_model(tmp: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from engine.resources import default_model_path
    bundled = default_model_path()
    if bundled:
        return str(bundled)
    import torch

    from engine import SAVSR, save_model
    fixture = torch.load(ROOT.parent / "shared" / "savsr" / "parity_small.pt", weights_only=True)
    model = SAVSR(**fixture["config"])
    model.load_state_dict(fixture["state_dict"])
    return str(save_model(model, tmp / "small.safetensors", {"name": "parity-small"}))


def run_child(src: Path, out: Path, model: str, threads: int, end: float | None = None) -> dict:
    code = CHILD.format(root=str(ROOT), src=str(src), out=str(out), model=model, threads=threads, end=end)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model file (default: bundled, else the small parity network)")
    ap.add_argument("--memory-size", default="128x72", help="clip size for the memory runs")
    ap.add_argument("--durations", type=float, nargs="+", default=[10, 60], help="clip lengths in seconds")
    ap.add_argument("--speed-size", default="480x270", help="clip size for the speed run")
    ap.add_argument("--speed-frames", type=int, default=8, help="frames rendered for the speed run")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch CPU threads")
    ap.add_argument("--calibrate", action="store_true", help="measure encoder memory per output pixel only")
    ap.add_argument("--calibrate-size", default="1920x1080", help="output size for --calibrate")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.calibrate:
            calibrate(parse_size(args.calibrate_size), tmp)
            return
        model = args.model or default_model(tmp)
        print(f"model: {model}; torch threads: {args.threads}; CPU cores: {os.cpu_count()}")
        size = parse_size(args.memory_size)
        for seconds in args.durations:
            src = make_clip(tmp / f"clip_{seconds:g}s.mp4", seconds, size)
            r = run_child(src, tmp / f"out_{seconds:g}s.mp4", model, args.threads)
            print(f"memory  {size[0]}x{size[1]} -> x2, {seconds:g} s ({r['frames']} frames): peak RSS "
                  f"{r['peak_mb']:.0f} MiB, {r['fps']:.2f} fps")
        size = parse_size(args.speed_size)
        src = make_clip(tmp / "speed.mp4", args.speed_frames / 25 + 0.5, size)
        r = run_child(src, tmp / "speed_out.mp4", model, args.threads, end=args.speed_frames / 25)
        print(f"speed   {size[0]}x{size[1]} -> x2 ({r['size'][0]}x{r['size'][1]}), {r['frames']} frames: "
              f"{r['fps']:.3f} fps, peak RSS {r['peak_mb']:.0f} MiB")


if __name__ == "__main__":
    main()
