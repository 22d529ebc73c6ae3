"""The model card's blind A/B still: bicubic, the clean model and the compressed model on one real frame.

    .venv/bin/python training/scripts/ab_still.py [-o docs/images/ab_still.png] [--frame 37]

The frame is from the bundled sample (Big Buck Bunny, 320x180, H.264 CRF 18: see
resources/sample/CREDITS.txt), enlarged x2 by each of the three as ``savsr compare`` computes them
(:func:`engine.preview.compare.frame_pair`: the render's own pixels, torch fp32), cut to the same
region and put side by side under the letters A, B and C only. Which letter is which is printed
(and written in docs/models.md below the image), so a reader can judge before looking.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ORDER = ("compressed", "bicubic", "clean")      # A, B, C: fixed, so the figure and the key agree


def main() -> int:
    from engine.preview.compare import frame_pair, write_png
    from engine.preview.labels import draw_label, label_size
    from engine.preview.tiles import Region
    from engine.render.job import RenderJob
    from engine.resources import sample_clip_path
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "images" / "ab_still.png"))
    ap.add_argument("--frame", type=int, default=37)
    ap.add_argument("--region", default="180,60,300,280", help="X,Y,W,H of the x2 output (640x360)")
    args = ap.parse_args()
    region = Region(*(int(v) for v in args.region.split(",")))
    images = {}
    for model in ("clean", "compressed"):
        job = RenderJob(input=str(sample_clip_path()), output="", scale_w=2.0, scale_h=2.0, model=model,
                        device="cpu", precision="fp32", backend="torch")
        images["bicubic"], images[model] = frame_pair(job, args.frame, region)
    gap = np.full((region.h, 6, 3), 255, np.uint8)
    parts = []
    size = 2 * label_size(region.h)     # letters readable at a glance
    for letter, name in zip("ABC", ORDER, strict=True):
        panel = images[name].copy()
        draw_label(panel, letter, 3 * size, 3 * size, size)
        parts += [panel, gap]
    out = write_png(np.concatenate(parts[:-1], axis=1), Path(args.output), overwrite=True)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB): frame {args.frame} of the sample x2, region "
          f"{args.region}; " + ", ".join(f"{letter} = {name}" for letter, name in zip("ABC", ORDER, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
