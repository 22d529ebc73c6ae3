"""Window-level behaviour: the advanced dock, settings, the command line, shortcuts."""
from __future__ import annotations

from helpers.app_clips import open_clip

from savsr_app.qt import QKeySequence, Qt
from savsr_app.state.settings import SettingsStore


def test_advanced_dock_is_hidden_until_revealed_and_remembered(qtbot, make_window):
    first = make_window()
    dock = first.advanced_dock
    assert not dock.isVisible()
    action = dock.toggleViewAction()
    assert action.shortcut() == QKeySequence("Ctrl+Shift+A")
    assert action in first.menuBar().actions()[1].menu().actions()        # View menu
    action.trigger()
    assert dock.isVisible()
    first.close()
    assert SettingsStore().load().show_advanced
    second = make_window()
    assert second.advanced_dock.isVisible()


def test_settings_changes_reach_the_preview_and_new_jobs(qtbot, window, clip, small_model_file, tmp_path):
    c = window.controller
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        open_clip(qtbot, window, clip)
    assert len(window.preview.images.patches) == 1            # the CPU's 192-pixel tile: the whole 96x64 clip
    window.settings.codec, window.settings.crf, window.settings.container = "h265", 24, "mkv"
    window.settings.tile = 32
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        window.apply_settings()
    job = window.make_job()
    assert (job.codec, job.crf, job.output[-4:], job.tile) == ("h265", 24, ".mkv", 32)
    assert job.model == str(small_model_file) and job.device == "cpu"
    # the preview shows the new job's pixels: its 32-pixel tiles (64 at x2), computed by its network
    rects = [rect for _image, rect in window.preview.images.patches]
    assert len(rects) == 6 and all(r.width() <= 64 and r.height() <= 64 for r in rects)
    assert (c.net.spec, c.net.device) == (str(small_model_file), "cpu") and c.planned.job.codec == "h265"
    from savsr_app.window.status import compute_words
    words = compute_words("cpu")            # what auto measured here for the preview ("OpenVINO bf16")
    assert window.status.device_label.text() == "Device: this CPU" + (f" · {words}" if words else "")


def test_import_model_checks_and_copies_the_file(qtbot, window, small_model_file, tmp_path):
    from savsr_app.dialogs.settings_dialog import SettingsDialog
    from savsr_app.state.storage import models_dir
    dialog = SettingsDialog(window.settings, window.background, window)
    qtbot.addWidget(dialog)
    dialog.import_model(str(small_model_file))
    copied = models_dir() / "imported" / small_model_file.name
    qtbot.waitUntil(copied.exists, timeout=30000)
    assert dialog.model.currentData() == str(copied)
    assert dialog.result_settings().model == str(copied)


def test_import_model_refuses_a_bad_file(qtbot, window, tmp_path, monkeypatch):
    from savsr_app.dialogs import settings_dialog
    from savsr_app.state.storage import models_dir
    shown = []
    monkeypatch.setattr(settings_dialog.QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    bad = tmp_path / "notes.pth"
    bad.write_bytes(b"\x00not a checkpoint")
    dialog = settings_dialog.SettingsDialog(window.settings, window.background, window)
    qtbot.addWidget(dialog)
    dialog.import_model(str(bad))
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    assert "notes.pth" in shown[0]
    assert not (models_dir() / "imported" / "notes.pth").exists()


def test_frame_keys_step_the_preview(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    window.activateWindow()
    window.actions_by_name["next"].trigger()
    window.actions_by_name["next"].trigger()
    window.actions_by_name["prev"].trigger()
    assert window.transport.frame == 1 and window.controller.frame == 1
    window.actions_by_name["last"].trigger()
    assert window.transport.frame == 9
    assert window.actions_by_name["add"].shortcuts()[0] == QKeySequence("Ctrl+Return")
    assert window.actions_by_name["open"].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)


def test_command_line_opens_the_file(qtbot, settings, clip):
    from savsr_app.main import start
    window = start([str(clip)])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.info is not None, timeout=30000)
    assert window.info.path == str(clip)
    assert window.windowTitle().startswith("basketball.mp4")


def test_drop_opens_a_clip(qtbot, window, clip):
    from savsr_app.qt import QDropEvent, QMimeData, QPointF, QUrl
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.clipOpened, timeout=30000):
        window.dropEvent(event)
    assert window.info.path == str(clip)


def test_background_callbacks_run_on_the_ui_thread(qtbot, window):
    from savsr_app.qt import QThread
    threads = []
    window.background.call(lambda: 42, done=lambda r: threads.append((r, QThread.currentThread())),
                           failed=lambda m: threads.append((m, QThread.currentThread())))
    qtbot.waitUntil(lambda: bool(threads), timeout=10000)
    assert threads == [(42, window.thread())]
