"""Combing after a render of interlaced footage, against the progressive frames it was woven from.

For each clip, 12 consecutive real frames become 6 interlaced frames (frame ``2k`` in the top field,
``2k + 1`` in the bottom one, H.264 nearly lossless, flagged top field first). The woven clip and the
6 progressive frames ``2k`` are both upscaled through ``savsr upscale`` (FFV1); each output is
area-scaled back to the source size and its combing measure (:func:`engine.video.interlace.combing`,
mean over the frames) is compared with the progressive source's.

    .venv/bin/python benchmarks/archive_combing.py                    # five DAVIS clips, x2, bundled clean model
    .venv/bin/python benchmarks/archive_combing.py --clips goat --scale 3 --deinterlace field

DAVIS frames come from ../shared/data/davis480 (a 424x240 crop of each); without it, the bundled
sample (320x180) is the only clip. Prints a Markdown table for docs/archive.md.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers.clipmaker import MOTION, footage, weave  # noqa: E402

from engine.video import colour, interlace  # noqa: E402

DAVIS = ROOT.parent / "shared" / "data" / "davis480"
CROP = (120, 200, 240, 424)        # y, x, height, width of the DAVIS frames used


def davis_frames(clip: str, count: int) -> list[np.ndarray]:
    y, x, h, w = CROP
    frames = []
    for path in sorted((DAVIS / clip).glob("*.jpg"))[:count]:
        with av.open(str(path)) as c:
            rgb = next(c.decode(video=0)).to_ndarray(format="rgb24")
        frames.append(np.ascontiguousarray(rgb[y:y + h, x:x + w]))
    return frames


def write(path: Path, frames, interlaced: bool) -> Path:
    with av.open(str(path), "w") as out:
        params = "log-level=none" + (":tff=1" if interlaced else "")
        stream = out.add_stream("libx264", rate=25, options={"crf": "4", "x264-params": params})
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for k, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def decoded(path: Path, size: tuple[int, int]) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA").to_ndarray()
                for f in c.decode(video=0)]


def combing(frames) -> float:
    return float(np.mean([interlace.combing(colour.luma(f / 255.0)) for f in frames]))


def upscale(src: Path, out: Path, args, deinterlace: str):
    subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))",
                    "upscale", str(src), "-o", str(out), "--scale", args.scale,
                    "--codec", "ffv1", "-y", "--threads", str(args.threads), "--model", args.model,
                    "--deinterlace", deinterlace, "--quiet"], check=True, cwd=ROOT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["car-shadow", "blackswan", "goat", "breakdance", "dance-twirl"])
    ap.add_argument("--scale", default="2")
    ap.add_argument("--model", default="clean")
    ap.add_argument("--deinterlace", default="frame", choices=["frame", "field"])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    clips = args.clips if DAVIS.is_dir() else ["sample"]
    print(f"| clip | progressive source | woven, `off` | woven, `{args.deinterlace}` (x) | progressive, upscaled (x) |")
    print("|---|---:|---:|---:|---:|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for clip in clips:
            frames = (list(footage(320, 180, MOTION + 12)[MOTION:]) if clip == "sample"
                      else davis_frames(clip, 12))
            progressive = frames[0::2]
            woven = [weave(a, b) for a, b in zip(frames[0::2], frames[1::2])]
            size = (frames[0].shape[1], frames[0].shape[0])
            p_src, w_src = write(folder / "p.mp4", progressive, False), write(folder / "w.mp4", woven, True)
            source = combing(progressive)
            results = {}
            for name, src, mode in (("off", w_src, "off"), ("deint", w_src, args.deinterlace),
                                    ("prog", p_src, "off")):
                out = folder / f"{name}.mkv"
                upscale(src, out, args, mode)
                frames_out = decoded(out, size)
                if mode == "field":           # one frame per field: the first of each pair is frame 2k
                    frames_out = frames_out[0::2]
                results[name] = combing(frames_out)
            ratios.append(results["deint"] / source)
            print(f"| {clip} | {source:.3f} | {results['off']:.3f} ({results['off'] / source:.2f}x) | "
                  f"{results['deint']:.3f} ({ratios[-1]:.2f}x) | "
                  f"{results['prog']:.3f} ({results['prog'] / source:.2f}x) |",
                  flush=True)
    print(f"\nmean ratio, deinterlaced output / progressive source: {np.mean(ratios):.3f} "
          f"(within 10 % on {sum(abs(r - 1) <= 0.1 for r in ratios)} of {len(ratios)})")


if __name__ == "__main__":
    main()
