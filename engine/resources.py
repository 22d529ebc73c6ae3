"""Where the bundled files live: next to the packages in a checkout, or in a PyInstaller bundle."""
from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_MODEL_NAME = "savsr_studio_default.safetensors"


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_model_path() -> Path | None:
    """The bundled default model, or ``None`` if this installation has none."""
    path = resources_dir() / "models" / DEFAULT_MODEL_NAME
    return path if path.is_file() else None


def sample_clip_path() -> Path | None:
    """The bundled sample clip, or ``None``."""
    folder = resources_dir() / "sample"
    clips = sorted(p for p in folder.glob("*") if p.suffix.lower() in {".mp4", ".mkv", ".mov"}) if folder.is_dir() else []
    return clips[0] if clips else None
