"""Settings are device-honest from the moment they open: what this machine cannot run is disabled, with why."""
from __future__ import annotations

import json

import pytest

from savsr_app.dialogs.settings_dialog import SettingsDialog, precision_refusal
from savsr_app.state.settings import AppSettings, SettingsStore
from savsr_app.support.tasks import Background


@pytest.fixture
def cpu_only(monkeypatch):
    """No GPU, and a CPU with AVX2 only (no bf16 or fp16 arithmetic)."""
    import torch

    from engine.backends import precision, runtimes
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(precision, "cpu_info", lambda: ("AMD EPYC (Zen 3)", frozenset({"avx2", "fma"})))
    monkeypatch.setattr(runtimes, "cpu_capabilities", lambda: ("fp32",))


def test_half_precision_is_disabled_on_a_cpu_only_machine_when_the_dialog_opens(qtbot, app_home, cpu_only):
    dialog = SettingsDialog(AppSettings(device="auto", precision="fp16"), Background())
    qtbot.addWidget(dialog)
    p = dialog.precision
    enabled = {p.itemData(i): p.model().item(i).isEnabled() for i in range(p.count())}
    assert enabled == {"auto": True, "fp32": True, "fp16": False, "bf16": False, "int8": False}
    assert p.currentData() == "auto"            # a saved fp16 cannot run here
    assert "no fp16 arithmetic" in p.itemData(p.findData("fp16"), 3)    # ToolTipRole
    assert "no bf16 arithmetic" in p.itemData(p.findData("bf16"), 3)


def test_bf16_is_offered_on_a_cpu_that_has_it(qtbot, app_home, cpu_only, monkeypatch):
    from engine.backends import precision
    monkeypatch.setattr(precision, "cpu_info", lambda: ("AMD EPYC (Zen 4)", frozenset({"avx2", "avx512_bf16"})))
    dialog = SettingsDialog(AppSettings(device="cpu", precision="bf16"), Background())
    qtbot.addWidget(dialog)
    assert dialog.precision.currentData() == "bf16"
    assert dialog.result_settings().precision == "bf16"


def test_backends_offered_are_the_installed_ones(qtbot, app_home, monkeypatch):
    from engine.backends.runtimes import RUNTIMES
    monkeypatch.setattr(RUNTIMES["openvino"], "installed", lambda: False)
    dialog = SettingsDialog(AppSettings(backend="openvino"), Background())
    qtbot.addWidget(dialog)
    b = dialog.backend
    assert not b.model().item(b.findData("openvino")).isEnabled()
    assert b.currentData() == "auto" and "not installed" in b.itemData(b.findData("openvino"), 3)
    b.setCurrentIndex(b.findData("torch"))
    assert dialog.result_settings().backend == "torch"


def test_model_choice_offers_auto_and_the_bundled_models_by_name(qtbot, app_home):
    dialog = SettingsDialog(AppSettings(), Background())
    qtbot.addWidget(dialog)
    values = [dialog.model.itemData(i) for i in range(dialog.model.count())]
    assert values[:3] == ["", "clean", "compressed"]
    assert dialog.model.currentData() == "" and dialog.model.currentText().startswith("Auto")
    assert "camera, phone and web video" in dialog.model.itemText(2)


def test_precision_refusal_on_cpu(cpu_only):
    assert precision_refusal("fp32", "cpu") == precision_refusal("auto", "cpu") == ""
    assert "avx512_bf16 or AMX" in precision_refusal("bf16", "auto")


def test_the_old_default_precision_becomes_auto_and_a_chosen_one_stays(app_home):
    store = SettingsStore()
    for saved, loaded in (("fp32", "auto"), ("fp16", "fp16"), ("bf16", "bf16")):
        store.file.path.write_text(json.dumps({"version": 2, "precision": saved, "device": "cpu"}))
        assert store.load().precision == loaded
    store.save(AppSettings(precision="fp32"))            # chosen in version 3: kept
    assert store.load().precision == "fp32"


def test_the_status_bar_names_what_computes_once_auto_has_measured(qtbot, app_home, tmp_path, monkeypatch):
    from engine.backends import cache
    from engine.backends.precision import machine_key
    from savsr_app.window.status import StatusBar
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path / "cache"))
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_device("cpu", "CPU")
    assert bar.device_label.text() == "Device: CPU"                 # nothing measured yet
    record = {"backend": "openvino", "precision": "bf16", "candidates": {
        "fp32": {"passed": True, "seconds": 1.2}, "bf16": {"passed": True, "seconds": 0.6, "psnr": 67.0}}}
    cache.write_json(cache.cache_root() / "graphs" / "0123" / f"auto-openvino-1-cpu-{machine_key()}.json", record)
    bar.refresh_memory()
    assert bar.device_label.text() == "Device: CPU · OpenVINO bf16"
