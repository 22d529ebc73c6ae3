"""``savsr eval FRAMES_DIR --scales ...``: the benchmark protocol, model against bicubic."""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from ..backends import BACKEND_HELP, check_backend
from ..errors import SavsrError
from ..render.control import ProgressMeter
from ..render.job import MAX_SCALE, MIN_SCALE
from .progress import ProgressBar


def register(sub):
    p = sub.add_parser("eval", help="score a model on ground-truth frames (Y-PSNR/SSIM vs bicubic)",
                       description="Benchmark protocol: antialiased bicubic LR from the ground truth, 7-frame "
                                   "reflection windows, Y-channel PSNR/SSIM (BT.601), per clip then mean.")
    p.add_argument("frames", help="folder of frames, or a folder of clip folders")
    p.add_argument("--scales", nargs="+", default=["2", "3", "4"], metavar="S",
                   help="factors: S for both axes, or WxH for width and height, e.g. 2 4 1.5x4 (default 2 3 4)")
    p.add_argument("--model", default="clean", metavar="clean|compressed|FILE",
                   help="a bundled model by name or a model file (default: clean)")
    p.add_argument("--degrade", default="none", metavar="none|h264:CRF|h265:CRF",
                   help="encode the LR clip with this codec first (e.g. h264:28); adds temporal PSNR and the "
                        "deblock-filter-then-clean-model baseline")
    p.add_argument("--no-baseline", action="store_true", help="with --degrade: skip the deblock baseline")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda:N")
    p.add_argument("--backend", default="auto", help=BACKEND_HELP)
    p.add_argument("--max-frames", type=int, help="use the first N frames of each clip")
    p.add_argument("--crop", metavar="WxH", help="centre-crop the ground truth (faster on a CPU)")
    p.add_argument("--tile", type=int, default=0, help="LR tile size; 0 = from free memory")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def parse_scale(text: str) -> tuple[float, float]:
    """``"2"`` -> (2, 2); ``"1.5x4"`` -> (width 1.5, height 4)."""
    try:
        parts = [float(v) for v in text.lower().split("x")]
    except ValueError:
        raise SavsrError(f"bad scale {text!r}: use S or WxH, e.g. 2 or 1.5x4") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or not all(MIN_SCALE <= v <= MAX_SCALE for v in parts):
        raise SavsrError(f"bad scale {text!r}: factors must be between {MIN_SCALE:g} and {MAX_SCALE:g}")
    return parts[0], parts[1]


def _crop(text):
    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        return w, h
    except ValueError:
        raise SavsrError(f"--crop must look like 256x256, got {text!r}") from None


def _upscaler(args, model_spec=None):
    from ..backends import Accelerated
    from ..devices import resolve_device
    from ..models.checkpoint import load_model
    from ..render.inference import Upscaler
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        raise SavsrError(str(exc)) from None
    model = load_model(model_spec or args.model, device)
    net = Accelerated(model, check_backend(args.backend), device, note=lambda m: print(f"note: {m}", file=sys.stderr))
    cache = {}

    def upscale(window, scale, out_hw):
        key = (scale, out_hw)
        if key not in cache:
            cache.clear()
            cache[key] = Upscaler(net, device, None, scale, out_hw, args.tile)
        return cache[key](window)
    return model, upscale


def table(results) -> list[str]:
    degraded = any(r.model_tpsnr is not None for r in results)
    baseline = any(r.baseline_psnr is not None for r in results)
    head = f"{'scale (w x h)':<16}{'model PSNR':>11}{'SSIM':>8}{'bicubic PSNR':>14}{'SSIM':>8}{'gain':>12}"
    if baseline:
        head += f"{'deblock+clean':>15}"
    if degraded:
        head += f"{'tPSNR model':>13}{'bicubic':>9}"
    out = [head]
    for r in results:
        line = (f"x{r.scale_w:g} x x{r.scale_h:g}".ljust(16) + f"{r.model_psnr:11.2f}{r.model_ssim:8.4f}"
                f"{r.bicubic_psnr:14.2f}{r.bicubic_ssim:8.4f}{r.model_psnr - r.bicubic_psnr:+9.2f} dB")
        if baseline:
            line += f"{r.baseline_psnr:15.2f}"
        if degraded:
            line += f"{r.model_tpsnr:13.2f}{r.bicubic_tpsnr:9.2f}"
        out.append(line)
    return out


def run(args) -> int:
    from ..evaluation.benchmark import evaluate, find_clips, load_clip
    check_backend(args.backend)
    scales = [parse_scale(s) for s in args.scales]
    folders = find_clips(args.frames)
    root = Path(args.frames)
    clips = {(f.relative_to(root).as_posix() if f != root else f.name): load_clip(f, args.max_frames, _crop(args.crop))
             for f in folders}
    from ..train.degrade import CodecSpec
    degrade = CodecSpec.parse(args.degrade)
    model, upscale = _upscaler(args)
    baseline = _upscaler(args, "clean")[1] if degrade is not None and not args.no_baseline else None
    total = sum(c.shape[0] for c in clips.values()) * len(scales)
    bar = None if args.json else ProgressBar("eval ")
    meter = ProgressMeter(total, bar)
    try:
        results = evaluate(clips, scales, upscale, meter.step, degrade, baseline)
    finally:
        if bar:
            bar.close()
    name = model.metadata.get("name")
    if args.json:
        print(json.dumps({"model": name, "clips": {k: int(v.shape[0]) for k, v in clips.items()},
                          "protocol": "bicubic-antialias LR, 7-frame reflection windows, Y (BT.601) PSNR/SSIM, "
                                      "per clip then mean",
                          "results": [dataclasses.asdict(r) for r in results]}, indent=2))
    else:
        frames = sum(int(v.shape[0]) for v in clips.values())
        lr = f"; LR through {degrade}" if degrade else ""
        print(f"model {name}; {len(clips)} clip(s), {frames} frames{lr}")
        print("\n".join(table(results)))
    return 0
