"""Settings and queue files: versioned JSON, atomic writes, corrupt files kept aside."""
from __future__ import annotations

import json
from pathlib import Path

from engine.render.job import RenderJob
from savsr_app.queue.jobs import DONE, QUEUED, QueueEntry, QueueStore
from savsr_app.state.settings import SETTINGS_VERSION, AppSettings, SettingsStore


def test_settings_round_trip_with_version(app_home):
    store = SettingsStore()
    s = AppSettings(device="cpu", codec="h265", crf=22, show_advanced=True)
    s.add_recent("/videos/a.mp4")
    s.add_recent("/videos/b.mp4")
    s.add_recent("/videos/a.mp4")
    store.save(s)
    doc = json.loads(store.file.path.read_text())
    assert doc["version"] == SETTINGS_VERSION
    loaded = store.load()
    assert loaded == s
    assert [Path(p).name for p in loaded.recent_files] == ["a.mp4", "b.mp4"]
    assert not list(store.file.path.parent.glob(".*.tmp"))       # the temp file was renamed into place


def test_corrupt_settings_are_moved_aside_with_a_warning(app_home):
    store = SettingsStore()
    store.file.path.write_text("{ not json")
    assert store.load() == AppSettings()
    assert "could not be read" in store.warning
    kept = list(store.file.path.parent.glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{ not json"
    assert not store.file.path.exists()


def test_settings_from_a_newer_version_are_not_overwritten_silently(app_home):
    store = SettingsStore()
    store.file.path.write_text(json.dumps({"version": SETTINGS_VERSION + 1, "device": "cuda:3"}))
    assert store.load() == AppSettings()
    assert "newer version" in store.warning
    assert list(store.file.path.parent.glob("settings.json.corrupt-*"))


def test_wrongly_typed_values_fall_back_to_defaults(app_home):
    store = SettingsStore()
    store.file.path.write_text(json.dumps({"version": 1, "crf": "high", "codec": "ffv1"}))
    loaded = store.load()
    assert loaded.crf == AppSettings().crf and loaded.codec == "ffv1"


def test_queue_store_requeues_jobs_that_were_running(app_home):
    job = RenderJob(input="/in/a.mp4", output="/out/a_up.mp4", scale_w=2.5, scale_h=1.75, start=1.0, end=3.5)
    entries = [QueueEntry(job, (1600, 630), 60, state="running", done=12),
               QueueEntry(job.replace(output="/out/b.mp4"), (1600, 630), 60, state=DONE, done=60),
               QueueEntry(job.replace(output="/out/c.mp4"), (1600, 630), 60)]
    store = QueueStore()
    store.save(entries)
    assert json.loads(store.file.path.read_text())["version"] == 1
    loaded = QueueStore().load()
    assert [e.id for e in loaded] == [e.id for e in entries]
    assert [e.state for e in loaded] == [QUEUED, DONE, QUEUED]
    assert loaded[0].done == 0  # no work folder: nothing was kept
    assert loaded[0].message == "interrupted before a segment was finished: resumes from the start"
    assert loaded[0].job == job and loaded[0].out_size == (1600, 630)


def test_corrupt_queue_is_kept_aside(app_home):
    store = QueueStore()
    store.file.path.write_text('{"version": 1, "jobs": [')
    assert store.load() == []
    assert store.warning and list(store.file.path.parent.glob("queue.json.corrupt-*"))
