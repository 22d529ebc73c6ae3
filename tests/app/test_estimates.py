"""Render-time estimates: calibrated from measured speed, shown before queueing, summed in the queue."""
from __future__ import annotations

import pytest
from helpers.app_clips import open_clip

from savsr_app.state.estimate import Calibration, cpu_share, format_duration, own_load, work_units


def test_calibration_from_a_render_predicts_a_bigger_one():
    cal = Calibration()
    per_frame = work_units((128, 72), (2.0, 2.0), 1)
    cal.record_render("clean|torch|cpu", per_frame, frames=10, fps=0.5, wall_seconds=23.0)   # 20 s + 3 s overhead
    est = cal.estimate("clean|torch|cpu", work_units((128, 72), (2.0, 2.0), 40), "this CPU")
    assert est.measured and est.seconds == pytest.approx(3.0 + 80.0)
    assert est.text() == "about 1 min on this CPU"
    assert not cal.estimate("clean|torch|cuda:0", per_frame, "GPU").measured


def test_cpu_calibration_carries_over_to_another_load():
    """Measured in CPU seconds under one load, the estimate follows the load of the moment."""
    cal, key = Calibration(), "clean|torch|cpu"
    per_frame = work_units((128, 72), (2.0, 2.0), 1)
    busy = cpu_share(6.0)                          # the share of the cores a render gets with 6 others running
    cal.record_render(key, per_frame, frames=10, fps=0.25, wall_seconds=42.0, cpu_seconds=42.0 * busy, load=6.0)
    assert cal.table[key]["share_factor"] == pytest.approx(1.0)
    assert cal.estimate(key, per_frame * 10, "this CPU", load=6.0).seconds == pytest.approx(42.0)
    quiet = cal.estimate(key, per_frame * 10, "this CPU", load=0.0).seconds
    assert quiet == pytest.approx(42.0 * busy / cpu_share(0.0))
    cal.record_render(key, per_frame, frames=10, fps=0.25, wall_seconds=42.0, cpu_seconds=42.0 * busy / 2, load=6.0)
    assert cal.table[key]["share_factor"] < 1.0    # it got less than fair share predicted: learnt


def test_a_quiet_machine_gives_no_more_than_its_cores(monkeypatch):
    """A render that got more than the fair share it was predicted (light background load) must not
    be estimated to get more CPU seconds per second than there are cores once the machine is quiet."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    cal, key = Calibration(), "clean|torch|cpu"
    per_frame = work_units((160, 90), (2.0, 2.0), 1)
    cal.record_render(key, per_frame, frames=30, fps=2.8, wall_seconds=11.0, cpu_seconds=21.5, load=0.5)
    assert cal.table[key]["share_factor"] > 1.2
    quiet = cal.estimate(key, per_frame * 30, "this CPU", load=0.0).seconds
    cpu_needed = cal.table[key]["cpu_overhead"] + per_frame * 30 / cal.table[key]["cpu_rate"]
    assert quiet == pytest.approx(cpu_needed / 2)


def test_the_apps_own_renders_are_not_counted_as_others_load():
    assert own_load(2, True, None) == 2.0
    assert own_load(2, False, 0.0) == pytest.approx(2.0) and own_load(2, False, 60.0) == pytest.approx(2 / 2.718, 0.01)
    assert own_load(2, False, None) == 0.0
    cal = Calibration()
    cal.own_load = lambda: 1e9
    assert cal.others_now() == 0.0


def test_fair_share_of_the_cores():
    assert cpu_share(0.0, cores=2, threads=2) == 2.0
    assert cpu_share(6.0, cores=2, threads=2) == pytest.approx(0.5)
    assert cpu_share(1.0, cores=8, threads=4) == 4.0


def test_durations_read_as_people_say_them():
    assert [format_duration(s) for s in (4, 59, 61, 3600, 7800)] == ["4 s", "59 s", "1 min", "1 h", "2 h 10 min"]


def test_estimate_appears_and_follows_the_scale(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    window.scale_panel.set_factors(2.0, 2.0)
    first = window.output_panel.estimate_label.text()
    assert "on this CPU" in first and first.split("Render time: ")[1] in window.scale_panel.output_label.text()
    window.state.calibration.record_render(window.state.cost_key("cpu"), 1.0, 10, 1.0, 10.0)   # 1 unit/s
    window.state.calibrated()
    at_2 = window.state.estimate("cpu").seconds
    window.scale_panel.set_factors(4.0, 4.0)
    assert window.state.estimate("cpu").seconds > at_2
    assert window.output_panel.estimate_label.text() != first


def test_adding_with_the_queue_stopped_does_not_start_it(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    window.runner.set_running(False)
    assert window.queue_panel.run_action.text() == "Run queue"       # as the notice names it
    entry = window.add_to_queue()
    assert entry is not None and entry.state == "queued" and not window.runner.busy
    assert entry.estimate is not None and "1 job left" in window.queue_panel.total_label.text()
    assert "press Run queue" in window.notifier.text()


def test_long_cpu_render_asks_first(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    window.runner.set_running(False)
    window.state.calibration.record_render(window.state.cost_key("cpu"), 1e6, 10, 1e-6, 1e8)   # very slow
    asked = []
    window.queue_actions.confirm = lambda q: asked.append(q) or False
    assert window.add_to_queue() is None and not window.queue_model.entries
    assert "estimated at" in asked[0] and "Queue it anyway?" in asked[0]


def test_the_gpu_figure_in_the_long_render_question_counts_both_fields(qtbot, window, clip, monkeypatch):
    import engine.devices
    from savsr_app.state.app_state import ArchiveChoice
    open_clip(qtbot, window, clip)
    monkeypatch.setattr(engine.devices, "list_devices", lambda: [("cpu", "this CPU"), ("cuda:0", "Test GPU")])
    s = window.state
    s.calibration.record_render(s.cost_key("cpu"), 1e6, 10, 1e-6, 1e8)            # very slow on the CPU
    s.calibration.record_render(s.cost_key("cuda:0"), 1.0, 10, 1.0, 10.0)

    def gpu_seconds():
        question = window.costs.long_render_question()
        assert "On the Test GPU" in question
        return s.estimate("cuda:0").seconds, question

    progressive, _ = gpu_seconds()
    s.set_archive(ArchiveChoice(deinterlace="field"))
    field_rate, question = gpu_seconds()
    assert field_rate == pytest.approx(2 * progressive, rel=0.01)
    assert f"it would take about {format_duration(field_rate)}." in question
