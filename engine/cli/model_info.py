"""``savsr model-info FILE``: what a checkpoint holds (config, parameters, metadata)."""
from __future__ import annotations

import json


def register(sub):
    p = sub.add_parser("model-info", help="describe a model file (the bundled one if none is given)")
    p.add_argument("model", nargs="?", help="checkpoint (.pth/.pt/.safetensors); default: bundled model")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..models.checkpoint import load_model
    model = load_model(args.model)
    info = {"config": model.config.to_dict(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "metadata": model.metadata}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        print(f"model      {model.metadata.get('name')}  ({model.metadata.get('path')})")
        print(f"parameters {info['parameters'] / 1e6:.2f} M")
        print("config     " + ", ".join(f"{k}={v}" for k, v in info["config"].items()))
    return 0
