"""Where the app keeps its files, and how it writes them: versioned JSON, atomic, corrupt files kept.

Folders come from platformdirs; ``SAVSR_STUDIO_HOME`` (used by the tests, and handy for a
portable install) puts config and data under one folder instead.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from platformdirs import PlatformDirs

from engine.resources import write_json_atomically

from .. import APP_NAME, ORG_NAME

log = logging.getLogger(__name__)


def _dirs() -> PlatformDirs:
    return PlatformDirs(APP_NAME, ORG_NAME)


def config_dir() -> Path:
    """Settings (and the delivery presets the CLI reads too: :func:`engine.resources.user_config_dir`)."""
    from engine.resources import user_config_dir
    path = user_config_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    home = os.environ.get("SAVSR_STUDIO_HOME")
    path = Path(home) / "data" if home else Path(_dirs().user_data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def videos_dir() -> Path:
    """The user's Videos folder (platformdirs; under ``SAVSR_STUDIO_HOME`` when that is set)."""
    home = os.environ.get("SAVSR_STUDIO_HOME")
    path = Path(home) / "videos" if home else Path(_dirs().user_videos_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Imported and fine-tuned models live here (never the bundled one)."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


class StoredFile:
    """A JSON document ``{"version": N, ...}`` at ``path``.

    ``load()`` returns the document (``None`` when there is none yet). A file that cannot be
    read, or that was written by a newer version, is renamed ``<name>.corrupt-<time>`` and a
    warning is kept in ``self.warning`` for the UI to show; it is never silently discarded.
    """

    def __init__(self, path: Path, version: int):
        self.path = Path(path)
        self.version = version
        self.warning: str | None = None

    def load(self) -> dict | None:
        self.warning = None
        if not self.path.is_file():
            return None
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("version"), int):
                raise ValueError("no version field")
            if doc["version"] > self.version:
                raise ValueError(f"written by a newer version ({doc['version']} > {self.version})")
            return doc
        except (OSError, ValueError) as exc:   # JSONDecodeError is a ValueError
            self._move_aside(exc)
            return None

    def _move_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
            where = f"it was kept as {aside.name}"
        except OSError:
            where = "it could not be moved aside"
        self.warning = f"{self.path.name} could not be read ({exc}); starting fresh, {where}."
        log.warning(self.warning)

    def save(self, doc: dict) -> None:
        """Write ``doc`` (with the version field) atomically: temp file in the folder, then replace."""
        write_json_atomically(self.path, {**doc, "version": self.version})
