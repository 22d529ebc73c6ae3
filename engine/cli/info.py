"""``savsr info IN``: what a clip holds (streams, size, frame rate, frames, colour, rotation, audio).

``savsr info --system``: what this machine computes with (CPU flags, devices, backends and their
precisions) and what ``auto`` uses here for a model (decided now when no decision is stored).
"""
from __future__ import annotations

import dataclasses
import json


def register(sub):
    p = sub.add_parser("info", help="describe a video file")
    p.add_argument("input", nargs="?", help="video file")
    p.add_argument("--sample", action="store_true", help="describe the bundled sample clip")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--system", action="store_true",
                   help="describe this machine instead: CPU flags, devices, backends and what auto precision uses "
                        "(measured once per model if not yet stored)")
    p.add_argument("--model", default="clean", metavar="clean|compressed|FILE",
                   help="with --system: the model whose auto decision to show (default clean)")
    p.add_argument("--device", default="auto", help="with --system: auto, cpu or cuda:N (default auto)")
    p.set_defaults(func=run)


def as_dict(info) -> dict:
    d = {f.name: getattr(info, f.name) for f in dataclasses.fields(info) if f.name != "pts"}
    d["audio"] = [dataclasses.asdict(a) for a in info.audio]
    d["subtitles"] = [dataclasses.asdict(s) for s in info.subtitles]
    d["frame_rate"] = str(info.frame_rate)
    d["time_base"] = str(info.time_base)
    d["display_size"] = list(info.display_size)
    d["rgb_matrix"], d["rgb_range"] = info.rgb_matrix, info.rgb_range
    d["cut_short"] = info.cut_short
    d["sample_aspect"] = str(info.sample_aspect)
    d["display_aspect"] = str(info.display_aspect)
    return d


def _colour(info) -> str:
    tags = f"matrix {info.matrix}, primaries {info.primaries}, transfer {info.transfer}, range {info.range}"
    if info.matrix in ("unknown",) or info.range == "unknown":
        tags += f"  (read as {info.rgb_matrix}, {info.rgb_range} range)"
    return tags


def _field_order(info) -> str:
    return {"tff": " (top field first)", "bff": " (bottom field first)"}.get(info.field_order, "")


def _pixel_aspect(info) -> str:
    if info.sample_aspect == 1:
        return ""
    from ..video.aspect import picture, ratio
    return f", pixel aspect {ratio(info.sample_aspect)} ({picture(info.display_aspect)} picture)"


def lines(info) -> list[str]:
    rate = f"{info.fps:.3f} fps" + (" variable (VFR)" if info.vfr else "")
    if not info.vfr and info.frame_rate.denominator != 1:
        rate += f" ({info.frame_rate})"
    dw, dh = info.display_size
    size = f"{info.width}x{info.height}" + (f", shown as {dw}x{dh}" if info.rotation % 180 else "")
    out = [f"file       {info.path}",
           f"container  {info.container}",
           f"video      #{info.video_index} {info.codec}, {info.pix_fmt} ({info.bit_depth}-bit)"
           + (", interlaced" if info.interlaced else "") + _field_order(info),
           f"size       {size}" + _pixel_aspect(info),
           f"rate       {rate}",
           f"frames     {info.frame_count}",
           f"duration   {info.duration:.3f} s"
           + (f" (the header says {info.declared_duration:.3f} s: cut short?)" if info.cut_short else ""),
           f"colour     {_colour(info)}",
           f"rotation   {info.rotation} degrees" if info.rotation else "rotation   none",
           f"timecode   {info.timecode or 'none'}"]
    for a in info.audio:
        dur = f", {a.duration:.3f} s" if a.duration else ""
        out.append(f"audio      #{a.index} {a.codec}, {a.sample_rate} Hz, {a.layout or a.channels} "
                   f"({a.language or 'und'}){dur}")
    if not info.audio:
        out.append("audio      none")
    for s in info.subtitles:
        out.append(f"subtitles  #{s.index} {s.codec} ({s.language or 'und'})" + (f" {s.title}" if s.title else ""))
    return out


def system_lines(device_name: str = "auto", model_spec: str = "clean", note=None) -> list[str]:
    """The machine as ``auto`` sees it; decides for ``model_spec`` on ``device_name`` if it has to."""
    import torch

    from ..backends import installed_backends
    from ..backends.choice import choose
    from ..backends.precision import cpu_info, fast_flags, graph_threads, torch_precisions
    from ..backends.runtimes import RUNTIMES
    from ..devices import list_devices, resolve_device
    from ..models.checkpoint import load_model
    from ..models.choice import MODELS, bundled_model
    name, _flags = cpu_info()
    device = resolve_device(device_name)
    out = [f"cpu        {name}, {graph_threads()} cores; {' '.join(fast_flags()) or 'no bf16/int8 instructions'}",
           f"devices    {', '.join(label for _id, label in list_devices())}",
           f"torch      {torch.__version__}: {' '.join(torch_precisions(device))} on {device.type.upper()}"]
    for backend in installed_backends()[1:]:
        runtime = RUNTIMES[backend]
        where = " ".join(runtime.precisions(device)) if runtime.supports(device) else "does not run there"
        out.append(f"{backend:<10} {runtime.version().split('-')[0]}: {where}")
    path = bundled_model(model_spec) if model_spec in MODELS else model_spec
    if not path:
        return out + [f"auto       the {model_spec} model is not installed"]
    model = load_model(path, device)
    if note is not None and choose(model, device, measure=False) is None:
        note("timing the precisions of this machine for this model (once; about a minute) ...")
    choice = choose(model, device, "auto", "auto", note=note)
    label = model_spec if model_spec in MODELS else model.metadata.get("name", str(path))
    out.append(f"auto       {choice.describe(device)} for the {label} model"
               + (f" ({choice.reason})" if choice.reason else ""))
    return out


def run(args) -> int:
    if args.system:
        import sys
        print("\n".join(system_lines(args.device, args.model,
                                     note=lambda msg: print(f"savsr: note: {msg}", file=sys.stderr))))
        return 0
    from ..video import probe
    from .upscale import _input
    info = probe(_input(args))
    if args.json:
        print(json.dumps(as_dict(info), indent=2, default=str))
    else:
        print("\n".join(lines(info)))
    return 0
