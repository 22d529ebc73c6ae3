"""The user's delivery presets: ``delivery_presets.json`` in the config folder the app and CLI share.

``{"version": 1, "presets": [{"name": ..., "codec": ..., "container": ..., "size": ..., "crf": ...,
"pix_fmt": ..., "speed": ...}, ...]}``, written atomically. Every call reads the file again, so the
app and a ``savsr presets`` run in between see each other's changes. A file that cannot be read
is said in one line (:attr:`PresetStore.warning`) and its presets ignored; it is never overwritten
silently: a damaged one is kept aside under another name when the user saves, one written by a
newer version refuses the save. A preset entry that does not check is skipped (and said) but
written back as it was.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from ..resources import user_config_dir, write_json_atomically
from . import delivery, formats
from .delivery import BUILTIN, DeliveryPreset, PresetError

FILE_NAME = "delivery_presets.json"
VERSION = 1


class PresetStore:
    """Built-in and user presets; ``path`` defaults to the shared config folder's file."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else user_config_dir() / FILE_NAME
        self.warning: str | None = None     # one line about the file, from the last read
        self._blocked = ""                  # why saving would lose a file we cannot read ("" if none)
        self._damaged = False

    # ---- reading -----------------------------------------------------------------------------
    def _read(self) -> tuple[list[DeliveryPreset], list]:
        """The valid user presets and the raw entries that did not check (kept as they are)."""
        self.warning, self._blocked, self._damaged = None, "", False
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            return self._unreadable(f"cannot be read ({exc.strerror or exc})")
        try:
            doc = json.loads(text)
        except ValueError as exc:
            return self._unreadable(f"is damaged ({exc})", damaged=True)
        if not isinstance(doc, dict) or not isinstance(doc.get("version"), int) \
                or not isinstance(doc.get("presets", []), list):
            return self._unreadable("is not a presets file (no version or list of presets)", damaged=True)
        if doc["version"] > VERSION:
            return self._unreadable(f"was written by a newer SAVSR Studio (version {doc['version']}, "
                                    f"this one reads {VERSION})")
        valid, kept, problems, seen = [], [], [], set()
        for raw in doc.get("presets", []):
            try:
                p = DeliveryPreset.from_dict(raw)
                if delivery.key(p.name) in seen or _builtin(p.name):
                    raise PresetError(f"the name {p.name!r} is taken")
            except PresetError as exc:
                kept.append(raw)
                problems.append(f"{raw.get('name', '?') if isinstance(raw, dict) else '?'} ({exc})")
                continue
            seen.add(delivery.key(p.name))
            valid.append(p)
        if problems:
            self.warning = f"{self.path}: ignored the preset(s) {'; '.join(problems)}"
        return valid, kept

    def _unreadable(self, why: str, damaged: bool = False):
        self.warning = f"user presets ignored: {self.path} {why}"
        self._blocked, self._damaged = why, damaged
        return [], []

    def user(self) -> list[DeliveryPreset]:
        return self._read()[0]

    def all(self) -> list[DeliveryPreset]:
        """The built-in presets, then the user's (as the file holds them now)."""
        return [*BUILTIN, *self.user()]

    def find(self, name: str) -> DeliveryPreset:
        return delivery.find(name, self.all())

    # ---- changing ----------------------------------------------------------------------------
    def save(self, preset: DeliveryPreset, replace: bool = False) -> DeliveryPreset:
        """Add ``preset`` (checked) as a user preset; one of the same name is replaced only with
        ``replace``. Returns the preset as stored. Raises :class:`PresetError` in one line."""
        preset = delivery.checked(dataclasses.replace(preset, builtin=False))
        _free_name(preset.name)
        presets, kept = self._read()
        same = [p for p in presets if delivery.key(p.name) == delivery.key(preset.name)]
        if same and not replace:
            raise PresetError(f"a preset named {same[0].name!r} exists already: choose another name "
                              "(or replace it)")
        presets = [preset if p in same else p for p in presets] if same else [*presets, preset]
        self._write(presets, kept)
        return preset

    def rename(self, old: str, new: str) -> DeliveryPreset:
        presets, kept = self._read()
        preset = self._user_preset(old, presets, "renamed")
        new = " ".join(str(new).split())
        if not new:
            raise PresetError("a preset needs a name")
        _free_name(new)
        if any(delivery.key(p.name) == delivery.key(new) and p is not preset for p in presets):
            raise PresetError(f"a preset named {new!r} exists already: choose another name")
        renamed = DeliveryPreset(**{**preset.to_dict(), "name": new})
        self._write([renamed if p is preset else p for p in presets], kept)
        return renamed

    def delete(self, name: str) -> DeliveryPreset:
        presets, kept = self._read()
        preset = self._user_preset(name, presets, "deleted")
        self._write([p for p in presets if p is not preset], kept)
        return preset

    def _user_preset(self, name: str, presets: list[DeliveryPreset], verb: str) -> DeliveryPreset:
        if _builtin(name):
            raise PresetError(f"{delivery.find(name, BUILTIN).name!r} is built in: it cannot be {verb}")
        return delivery.find(name, presets or [*BUILTIN])

    def _write(self, presets: list[DeliveryPreset], kept: list):
        """The file with ``presets`` and the unchecked entries ``kept``, atomically. A file that could
        not be read is kept aside first (damaged) or left alone and the change refused (newer)."""
        if self._blocked and not self._damaged:
            raise PresetError(f"not saved: {self.path} {self._blocked}; move it away to save presets here")
        if self._blocked:
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            self.warning = f"the damaged {self.path.name} was kept as {aside.name}"
        write_json_atomically(self.path, {"version": VERSION, "presets": [p.to_dict() for p in presets] + kept})


def _builtin(name: str) -> bool:
    return any(delivery.key(p.name) == delivery.key(name) for p in BUILTIN)


def _free_name(name: str):
    """Refuse a user preset name that a built-in has, or that ``--preset`` reads as an x264 speed."""
    if _builtin(name):
        raise PresetError(f"{delivery.find(name, BUILTIN).name!r} is a built-in preset: choose another name")
    if delivery.key(name) in formats.X26X_PRESETS:
        raise PresetError(f"{name!r} is an H.264/H.265 speed preset name: choose another name")
