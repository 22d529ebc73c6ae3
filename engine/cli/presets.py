"""Delivery presets on the command line: ``savsr presets [list|save|rename|delete]`` and what
``savsr upscale --preset NAME`` takes from a preset (:func:`apply`).

The presets are :mod:`engine.video.delivery`'s built-in ones and the user's, in the file the app
reads too (:mod:`engine.video.delivery_store`).
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import SavsrError
from ..video import formats
from ..video.delivery import CODECS, KEEP, DeliveryPreset, key, size_label

DEFAULT_CRF, DEFAULT_SPEED = 18, "medium"
DEFAULT_EXT = {"h264": ".mp4", "h265": ".mp4", "ffv1": ".mkv", "png": "",
               **{c: ".mov" for c in CODECS if c.startswith(("prores", "dnxhr"))}}


def register(sub):
    p = sub.add_parser("presets", help="list, save, rename or delete delivery presets",
                       description="Delivery presets bundle a size rule, codec, container, quality and pixel "
                                   "format; use one with savsr upscale --preset NAME. Names match in any case. "
                                   "Your presets are shared with the app.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="the built-in presets and yours (the default)")
    save = actions.add_parser("save", help="save your own preset", description="Save a preset of your own. "
                              "Give --codec, or --from an existing preset to change some of its fields.")
    save.add_argument("name", metavar="NAME")
    save.add_argument("--from", dest="base", metavar="PRESET", help="start from this preset's fields")
    save.add_argument("--codec", choices=CODECS, help="output codec")
    save.add_argument("--container", metavar="EXT", help="mp4, mov, mkv or mxf (default: the codec's usual one)")
    save.add_argument("--crf", type=int, help=f"H.264/H.265 quality, 0-51 (default {DEFAULT_CRF})")
    save.add_argument("--size", metavar="RULE", help="factors (keep the factors given; default), 1080p, 2160p "
                                                     "or WxH: outputs fit inside, aspect kept")
    save.add_argument("--pix-fmt", help="output pixel format (default: the codec's choice for each source)")
    save.add_argument("--speed", metavar="PRESET", help=f"H.264/H.265 speed preset (default {DEFAULT_SPEED})")
    save.add_argument("--replace", action="store_true", help="replace your preset of the same name")
    rename = actions.add_parser("rename", help="rename one of your presets")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    delete = actions.add_parser("delete", help="delete one of your presets")
    delete.add_argument("name", metavar="NAME")
    p.set_defaults(func=run)


def _store():
    from ..video.delivery_store import PresetStore
    return PresetStore()


def run(args) -> int:
    store = _store()
    action = args.action or "list"
    if action == "list":
        presets = store.all()
        _note(store)
        print(table(presets))
        print(f"your presets: {store.path}" if any(not p.builtin for p in presets)
              else "no presets of your own yet: savsr presets save NAME --codec ... (or --from PRESET)")
        return 0
    if action == "save":
        preset = store.save(_new_preset(store, args), replace=args.replace)
        print(f"saved {preset.name!r}: {preset.describe()}")
    elif action == "rename":
        preset = store.rename(args.old, args.new)
        print(f"renamed {args.old!r} to {preset.name!r}")
    else:
        preset = store.delete(args.name)
        print(f"deleted {preset.name!r}")
    _note(store)
    return 0


def _note(store):
    if store.warning:
        print(f"savsr: note: {store.warning}", file=sys.stderr)


def _new_preset(store, args) -> DeliveryPreset:
    base = store.find(args.base) if args.base else None
    if base is None and not args.codec:
        raise SavsrError("give --codec for the new preset (or --from PRESET to start from one)")
    codec = args.codec or base.codec
    same_codec = base is not None and codec == base.codec
    container = args.container or (base.container if same_codec else DEFAULT_EXT[codec])
    return DeliveryPreset(name=args.name, codec=codec, container=container,
                          size=args.size or (base.size if base else KEEP),
                          crf=args.crf if args.crf is not None else (base.crf if same_codec else None),
                          pix_fmt=args.pix_fmt or (base.pix_fmt if same_codec else None),
                          speed=args.speed or (base.speed if base else DEFAULT_SPEED))


def table(presets) -> str:
    rows = [("NAME", "SIZE", "CODEC", "CONTAINER", "QUALITY", "PIXELS", "")]
    for p in presets:
        rows.append((p.name, size_label(p.size), formats.LABELS[p.codec], p.container.lstrip(".").upper() or "-",
                     p.quality, p.pix_fmt or "as the source", "built in" if p.builtin else "yours"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


# ---- savsr upscale --preset ------------------------------------------------------------------

def apply(args) -> DeliveryPreset | None:
    """Settle ``args``' codec, CRF, speed, pixel format and container (``args.container``, the
    extension of outputs named for the user) from ``args.preset`` and the options given with it,
    which win; a preset's size rule becomes ``args.fit`` when no scale is given. An x264/x265 speed
    name as ``--preset`` is the speed (as before delivery presets). Returns the preset, if any."""
    preset = None
    if args.preset is not None and key(args.preset) in formats.X26X_PRESETS and args.speed is None:
        args.speed, args.preset = key(args.preset), None
    if args.preset is not None:
        store = _store()
        preset = store.find(args.preset)
        if store.warning and not args.quiet:
            _note(store)
    args.fit = None
    if preset is None:
        args.codec, args.crf = args.codec or "h264", DEFAULT_CRF if args.crf is None else args.crf
        args.speed, args.container = args.speed or DEFAULT_SPEED, None
        return None
    own_codec = args.codec in (None, preset.codec)
    args.codec = args.codec or preset.codec
    args.crf = args.crf if args.crf is not None else (preset.crf if own_codec and preset.crf is not None
                                                      else DEFAULT_CRF)
    args.speed = args.speed or preset.speed
    if args.pix_fmt is None and own_codec:
        args.pix_fmt = preset.pix_fmt
    args.container = preset.container if own_codec else DEFAULT_EXT[args.codec]
    _check_output(args, preset)
    scales = (args.scale, args.size, args.width_scale, args.height_scale)
    if preset.target is not None and all(v is None for v in scales):
        args.fit = preset.target
    return preset


def _check_output(args, preset: DeliveryPreset):
    """``-o NAME.ext`` decides the container; one that cannot hold the codec is one line."""
    out = args.output
    if not out or args.codec == "png" or out.endswith(("/", "\\")) or Path(out).is_dir():
        return
    ext = Path(out).suffix.lower()
    fmt = formats.CONTAINERS.get(ext)
    if fmt is None or formats.container_accepts(fmt, args.codec):
        return      # no extension: the plan says what is needed
    fits = [e for e, f in formats.CONTAINERS.items() if e != ".m4v" and formats.container_accepts(f, args.codec)]
    other = f" or {' or '.join(fits[1:])}" if len(fits) > 1 else ""
    raise SavsrError(f"--preset {preset.name!r} writes {formats.LABELS[args.codec]}, which {ext} files cannot "
                     f"hold: name the output {Path(out).with_suffix(fits[0])}{other} (or choose another --codec)")


def fitted(job, box: tuple[int, int]):
    """``job`` with the factors that fit its clip into ``box`` (w, h), aspect kept, as the app's size
    presets do; a clip the factors cannot take there is one line."""
    from ..render import archive
    from ..render.job import MAX_SCALE, MIN_SCALE
    from ..scale import fit_factors
    from ..video import probe
    info = probe(job.input)
    w, h = archive.factor_size(job, info)
    s_w, s_h = fit_factors(box, (w, h))
    if not (MIN_SCALE - 1e-9 <= min(s_w, s_h) and max(s_w, s_h) <= MAX_SCALE + 1e-9):
        raise SavsrError(f"the preset's size {box[0]}x{box[1]} needs a factor of {max(s_w, s_h):.2f} for this "
                         f"{round(w)}x{round(h)} clip: factors go from {MIN_SCALE:g} to {MAX_SCALE:g} "
                         "(give --scale or --size to choose another size)")
    return job.replace(scale_w=min(MAX_SCALE, max(MIN_SCALE, s_w)), scale_h=min(MAX_SCALE, max(MIN_SCALE, s_h)))
