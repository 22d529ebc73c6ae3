"""Where the bundled files live, and the user's config folder.

Installed (a wheel or an editable install) they are the package ``savsr_resources``, which is the
checkout's ``resources/`` folder under another name (see setup.py); in a PyInstaller bundle they are
``resources/`` inside the bundle; a checkout used without installing reads ``resources/`` directly.
"""
from __future__ import annotations

import importlib.resources
import importlib.util
import os
import sys
from pathlib import Path

DEFAULT_MODEL_NAME = "savsr_studio_default.safetensors"
PACKAGE = "savsr_resources"
APP_NAME, ORG_NAME = "SAVSR Studio", "SAVSR"    # the platform folders' names (the app's too)


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    if importlib.util.find_spec(PACKAGE) is not None:
        folder = importlib.resources.files(PACKAGE)
        if isinstance(folder, Path):            # installed as plain files, as pip always does
            return folder
    return Path(__file__).resolve().parent.parent / "resources"


def default_model_path() -> Path | None:
    """The bundled default model, or ``None`` if this installation has none."""
    path = resources_dir() / "models" / DEFAULT_MODEL_NAME
    return path if path.is_file() else None


def sample_clip_path() -> Path | None:
    """The bundled sample clip, or ``None``."""
    folder = resources_dir() / "sample"
    if not folder.is_dir():
        return None
    clips = sorted(p for p in folder.glob("*") if p.suffix.lower() in {".mp4", ".mkv", ".mov"})
    return clips[0] if clips else None


def user_config_dir() -> Path:
    """The folder the app's settings and the delivery presets live in (platformdirs), the same for
    the app and the CLI; ``SAVSR_STUDIO_HOME`` (tests, a portable install) puts it under that folder."""
    home = os.environ.get("SAVSR_STUDIO_HOME")
    if home:
        return Path(home) / "config"
    from platformdirs import PlatformDirs
    return Path(PlatformDirs(APP_NAME, ORG_NAME).user_config_dir)


def write_json_atomically(path: Path, doc: dict) -> None:
    """Write ``doc`` as JSON to ``path`` whole or not at all: a temp file in the same folder, synced,
    then renamed over the old one (the app's settings and the delivery presets both keep files so)."""
    import json
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(doc, indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
