"""The fine-tuning panel: footage, a short real fine-tune with a live plot, stop/resume, the model
library, "Use this model", the guard rails, and mounting into the main window."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from helpers.app_clips import add_footage, encode_clip, open_clip, tiny_recipe

from savsr_app.qt import QObject, Signal

TINY = dict(num_feat=16, w1_num_block=1, w2_num_block=1, n_resgroups=1, n_resblocks=1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from engine import SAVSR, save_model
    torch.manual_seed(0)
    return save_model(SAVSR(**TINY), tmp_path_factory.mktemp("base") / "tiny.safetensors", {"name": "tiny base"})


@pytest.fixture(scope="module")
def court(footage_dir, tmp_path_factory):
    """12 real frames of BasketballPass at 64x48, H.264."""
    return encode_clip(footage_dir, tmp_path_factory.mktemp("ft") / "court.mp4", size=(64, 48),
                       count=12)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeRunner(QObject):
    """Stands in for the app's queue runner: a render on the CPU is running."""
    jobFinished = Signal(str, str)

    class _Model:
        def entry(self, _id):
            return type("E", (), {"job": type("J", (), {"device": "cpu"})()})()

    def __init__(self):
        super().__init__()
        self.busy, self.running, self.current, self.model = True, True, "job1", self._Model()

    def set_running(self, on):
        self.running = on


def make_panel(qtbot, tmp_path, base, runner=None, confirm=None):
    from savsr_app.finetune.panel import FinetunePanel
    panel = FinetunePanel(tmp_path / "lib", tmp_path / "runs", models=lambda: [("tiny base", str(base))],
                          device=lambda: "cpu", queue_runner=runner, confirm=confirm)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_finetune_waits_for_a_render_stops_resumes_and_saves_a_usable_model(qtbot, tmp_path, court, tiny_base):
    from engine import load_model
    from engine.resources import default_model_path
    bundled = default_model_path()
    bundled_hash = sha256(bundled) if bundled else None
    runner = FakeRunner()
    panel = make_panel(qtbot, tmp_path, tiny_base, runner)
    add_footage(qtbot, panel, court)
    [facts] = panel.footage.facts()
    assert (facts.frames, facts.width, facts.height) == (12, 64, 48)
    assert panel.footage.model.index(0, 1).data() == "12"
    tiny_recipe(panel, steps=200)
    panel.form.name.setText("court")
    assert panel.start()
    assert panel.state == "waiting" and not runner.running          # the queue is held
    assert "starts when it finishes" in panel.status_label.text()
    runner.busy = False                                              # the render ends
    with qtbot.waitSignal(panel.stateChanged, timeout=10000, check_params_cb=lambda s: s == "running"):
        runner.jobFinished.emit("job1", "done")
    qtbot.waitUntil(lambda: len(panel.plot.losses) >= 2, timeout=60000)
    assert panel.plot.validation and panel.plot.validation[0][0] == 0      # the base model, measured first
    with qtbot.waitSignal(panel.runner.finished, timeout=60000) as stopped:
        panel.stop_button.click()
    stop_step = stopped.args[1]["step"]
    assert stopped.args[1]["stopped"] == "cancelled" and 2 <= stop_step < 200
    assert panel.state == "idle" and runner.running                  # the queue carries on
    assert panel.interrupted.combo.count() == 1 and panel.interrupted.resume_button.isEnabled()
    assert panel.form.steps.value() == 200 - stop_step                # the rest of the budget, by default
    assert panel.library_view.paths() == []

    panel.form.steps.setValue(2)
    with qtbot.waitSignal(panel.runner.finished, timeout=60000) as done:
        assert panel.resume()
    res = done.args[1]
    assert res["stopped"] == "steps" and res["step"] == stop_step + 2
    assert panel.plot.losses[-1][0] == stop_step + 2
    helped = res["verdict"]["helped"]
    assert res["verdict"]["text"] in panel.result_label.text() and panel.use_button.isVisible()
    assert panel.use_button.text() == ("Use this model" if helped else "Use it anyway")
    [path] = panel.library_view.paths()
    assert path.endswith("court.safetensors") and panel.interrupted.combo.count() == 0
    assert not any((tmp_path / "runs").iterdir())                     # the run folder is gone
    model = load_model(path)
    assert model.metadata["steps"] == stop_step + 2 and model.metadata["base_model"] == "tiny base"
    assert model.metadata["footage"] == ["court.mp4"]
    with qtbot.waitSignal(panel.modelChosen, timeout=1000) as chosen:
        panel.use_button.click()
    assert chosen.args == [path]
    if bundled_hash is not None:
        assert sha256(bundled) == bundled_hash


def test_guard_rails_refuse_footage_too_small_for_the_scale_and_low_disk(qtbot, tmp_path, court, tiny_base,
                                                                         monkeypatch):
    panel = make_panel(qtbot, tmp_path, tiny_base)
    add_footage(qtbot, panel, court)
    panel.form.set_factors(4.0, 4.0)                # patch 32 at x4: 128 px needed, the clip is 64x48
    assert not panel.start()
    assert panel.state == "idle" and "too small for the chosen scale" in panel.guard.text()
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    tiny_recipe(panel, steps=2)
    panel.form.set_factors(2.0, 2.0)
    import engine.train.finetune_checks as checks
    monkeypatch.setattr(checks, "free_bytes", lambda _folder: 10 * 2**20)
    assert not panel.start()
    assert panel.guard.text().startswith("Low disk space: 10 MB free")


def test_compressed_footage_is_flagged_before_the_fine_tune_starts(qtbot, tmp_path, court, tiny_base):
    from engine.resources import sample_clip_path
    panel = make_panel(qtbot, tmp_path, tiny_base)
    add_footage(qtbot, panel, court)                # x264 at CRF 12: a clean master
    assert panel.footage.facts()[0].artifacts == "" and not panel.caution.isVisible()
    sample = sample_clip_path()                     # x264 at CRF 18: delivery footage
    add_footage(qtbot, panel, sample)
    assert panel.caution.isVisible() and "compressed" not in panel.guard.text()   # a warning, not a refusal
    text = panel.caution.text()
    assert text.startswith(f"{sample.name} is compressed: h264 (x264 at CRF 18).")
    assert "cleaner master" in text and "-0.14 dB against the originals" in text
    panel.footage.table.selectRow(1)
    panel.footage.remove_selected()
    assert not panel.caution.isVisible()


def test_library_renames_and_deletes_with_the_active_model_followed(qtbot, tmp_path, tiny_base):
    import shutil
    panel = make_panel(qtbot, tmp_path, tiny_base, confirm=lambda _text: True)
    (tmp_path / "lib").mkdir()
    shutil.copy(tiny_base, tmp_path / "lib" / "first.safetensors")
    panel.library_view.refresh()
    view = panel.library_view
    with qtbot.waitSignal(panel.modelRenamed, timeout=1000) as renamed:
        assert view.model.setData(view.model.index(0, 0), "second")
    assert renamed.args[1].endswith("second.safetensors") and (tmp_path / "lib" / "second.safetensors").exists()
    assert panel.form.base.count() == 1               # the base list is refreshed from models()
    view.select(renamed.args[1])
    with qtbot.waitSignal(panel.modelDeleted, timeout=1000):
        view.delete_button.click()
    assert view.paths() == [] and not (tmp_path / "lib" / "second.safetensors").exists()
    assert tiny_base.exists()


def test_mounted_panel_follows_the_window_and_sets_the_active_model(qtbot, window, clip, tiny_base):
    import shutil

    from savsr_app.finetune.mount import library_dir
    panel = window.finetune_panel                   # mounted by the window
    window.advanced_dock.toggleViewAction().trigger()
    assert window.advanced_dock.isVisible() and window.advanced_dock.widget() is panel and panel.isVisible()
    window.scale_panel.link.setChecked(False)
    window.scale_panel.set_factors(3.0, 2.5)
    assert (panel.form.scale_w.value(), panel.form.scale_h.value()) == (window.state.scale.w, window.state.scale.h)
    info = open_clip(qtbot, window, clip)
    panel.footage.use_open_button.click()
    assert panel.footage.paths() == [str(Path(info.path).resolve())]
    library_dir().mkdir(parents=True, exist_ok=True)
    tuned = library_dir() / "court.safetensors"
    shutil.copy(tiny_base, tuned)
    panel.library_view.refresh()
    panel.library_view.select(str(tuned))
    panel.library_view.use_button.click()
    assert window.settings.model == str(tuned) and window.controller.net.spec == str(tuned)   # the preview too
    assert window.make_job().model == str(tuned)
    assert "court" in window.status.model_label.text()
    panel.library_view.confirm = lambda _t: True
    panel.library_view.delete_button.click()
    assert window.settings.model == "" and not tuned.exists()


def test_closing_the_window_stops_a_fine_tune_that_the_next_start_offers_to_resume(qtbot, make_window, clip):
    first = make_window()
    panel = first.finetune_panel
    add_footage(qtbot, panel, clip)
    tiny_recipe(panel, steps=500)
    assert panel.form.base_path() == first.settings.model          # the active model is the default base
    assert panel.start() and panel.state == "running"
    qtbot.waitUntil(lambda: len(panel.plot.losses) >= 1, timeout=60000)
    first.close()
    assert not first.isVisible() and not panel.runner.busy and panel.runner.thread is None
    second = make_window()
    again = second.finetune_panel
    assert again.interrupted.combo.count() == 1
    assert again.interrupted.combo.itemText(0).startswith("basketball fine-tune")
    assert again.form.budget()[1] < 500                            # the rest of the budget is offered


def test_a_fine_tune_that_did_not_help_says_so_and_the_base_model_stays_selected(qtbot, window, tmp_path):
    """A CRF 28 clip whose originals we have; a fine-tune that made it worse against them."""
    from helpers.compressed_footage import against_originals, crf28_clip

    from engine.models.choice import bundled_model
    path, originals = crf28_clip(tmp_path / "sample_crf28.mp4")
    active = (window.settings.model, window.state.model.path)
    panel = window.finetune_panel
    add_footage(qtbot, panel, path)
    tiny_recipe(panel, steps=3)
    base = str(bundled_model("compressed"))
    panel.form.base.setCurrentIndex(panel.form.base.findData(base))
    panel.form.lr.setValue(1e-2)                   # three steps this large spoil a trained model
    panel.form.holdout.setValue(20)
    with qtbot.waitSignal(panel.runner.finished, timeout=300000) as done:
        assert panel.start()
    res = done.args[1]
    [tuned] = panel.library_view.paths()
    assert against_originals(tuned, path, originals, 0.2) < against_originals(base, path, originals, 0.2)
    assert not res["verdict"]["helped"] and res["verdict"]["compressed"]
    text = panel.result_label.text()
    assert "Fine-tuning did not help: " in text and "The base model stays selected" in text
    assert panel.use_button.text() == "Use it anyway"
    assert (window.settings.model, window.state.model.path) == active      # nothing was chosen
    assert "did not help" in panel.library_view.model.index(0, 1).data()
