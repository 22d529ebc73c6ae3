"""The models the user can choose: auto, the bundled ones, and the model files imported into or
fine-tuned in the app's model folder, each with the label the settings and the fine-tune panel show."""
from __future__ import annotations

from engine.models.choice import MODELS, bundled_model

from .storage import models_dir

MODEL_SUFFIXES = ("*.safetensors", "*.pth", "*.pt")


def model_label(name: str) -> str:
    """``Compressed sources: camera, phone and web video`` for a bundled model's name."""
    return f"{name.capitalize()} sources: {MODELS[name][1].split(': ', 1)[-1]}"


def available_models() -> list[tuple[str, str, str]]:
    """``(label, value, why disabled or "")`` for auto, the bundled models and every model in the
    data folder; ``value`` is what the settings keep (``""`` for auto)."""
    out = [("Auto: the clip decides (clean or compressed)", "", "")]
    for name in MODELS:
        missing = "" if bundled_model(name) else f"the {name} model is not installed in this copy of the app"
        out.append((model_label(name) + (" (not installed)" if missing else ""), name, missing))
    folder = models_dir()
    for pattern in MODEL_SUFFIXES:
        for p in sorted(folder.rglob(pattern)):
            kind = "fine-tuned" if "finetuned" in p.parts else "imported"
            out.append((f"{p.stem} ({kind})", str(p), ""))
    return out


def model_files() -> list[tuple[str, str]]:
    """``(label, path)`` for every model file a fine-tune can start from: the bundled ones, then the
    imported and fine-tuned ones. ``""`` is the engine's default model (the bundled clean one)."""
    out = [(model_label("clean") if bundled_model("clean") else "Bundled model (not installed)", "")]
    out += [(model_label(name), str(bundled_model(name))) for name in MODELS if name != "clean" and bundled_model(name)]
    out += [(label, value) for label, value, _why in available_models()[1 + len(MODELS):]]
    return out or [("Bundled model (not installed)", "")]
