"""Settings are device-honest from the moment they open: what this machine cannot run is disabled, with why."""
from __future__ import annotations

import pytest

from savsr_app.dialogs.settings_dialog import SettingsDialog, precision_refusal
from savsr_app.state.settings import AppSettings
from savsr_app.support.tasks import Background


@pytest.fixture
def cpu_only(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


def test_half_precision_is_disabled_on_a_cpu_only_machine_when_the_dialog_opens(qtbot, app_home, cpu_only):
    dialog = SettingsDialog(AppSettings(device="auto", precision="fp16"), Background())
    qtbot.addWidget(dialog)
    p = dialog.precision
    enabled = {p.itemData(i): p.model().item(i).isEnabled() for i in range(p.count())}
    assert enabled == {"fp32": True, "fp16": False, "bf16": False}
    assert p.currentData() == "fp32"            # a saved fp16 cannot run here
    assert "needs a CUDA GPU" in p.itemData(p.findData("fp16"), 3)    # ToolTipRole


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
    assert precision_refusal("fp32", "cpu") == ""
    assert "CUDA" in precision_refusal("bf16", "auto")
