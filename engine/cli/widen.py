"""``savsr widen``: a trained model grown to more feature channels, computing the same function."""
from __future__ import annotations

from pathlib import Path

from .progress import set_threads


def register(sub):
    p = sub.add_parser("widen", help="grow a model to more feature channels (same outputs; train on from there)")
    p.add_argument("model", help="model file, or a bundled model's name (clean, compressed)")
    p.add_argument("-o", "--output", required=True, help="widened model file (.safetensors or .pt)")
    p.add_argument("--features", type=int, required=True, help="new num_feat (at least the model's)")
    p.add_argument("--seed", type=int, default=0, help="picks the copied channels and the split fractions")
    p.add_argument("--name", help="model name stored in the file (default: the output's file name)")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.set_defaults(func=run)


def check(narrow, wide, size: tuple[int, int] = (32, 48), scale=(2.0, 2.0), seed: int = 0) -> float:
    """Largest absolute difference of the two models' outputs on a random window (eval mode)."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    lr = torch.rand(1, narrow.num_frame, narrow.config.num_in_ch, *size, generator=gen)
    with torch.no_grad():
        return (narrow(lr, scale) - wide(lr, scale)).abs().max().item()


def run(args) -> int:
    from ..models.checkpoint import CheckpointError, load_model, save_model
    from ..train.widen import widen_model
    set_threads(args.threads)
    model = load_model(args.model)
    old_nf = model.config.num_feat
    if args.features < old_nf:
        raise CheckpointError(f"{Path(model.metadata['path']).name} has {old_nf} features; "
                              f"widening cannot give {args.features}")
    wide = widen_model(model, args.features, seed=args.seed)
    diff = check(model, wide)
    out = Path(args.output)
    kept = {k: v for k, v in model.metadata.items() if k not in ("name", "path", "choice", "exported")}
    meta = {**kept, "name": args.name or out.stem,
            "widened_from": {"name": model.metadata["name"], "path": model.metadata["path"], "num_feat": old_nf},
            "widen": {"num_feat": args.features, "seed": args.seed, "check_max_abs_diff": diff}}
    save_model(wide, out, meta)
    print(f"{out}: {old_nf} -> {args.features} features, "
          f"{sum(p.numel() for p in wide.parameters()):,} parameters; max |difference| {diff:.2e}")
    return 0
