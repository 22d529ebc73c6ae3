"""The ETA waits for frames timed after the first (which pays for loading and preparing the network):
a 9-minute job no longer starts with an ETA of an hour."""
from __future__ import annotations

import io

import pytest

import engine.render.control as control_mod
from engine.cli.progress import ProgressBar
from engine.render.control import ProgressMeter


def test_the_eta_waits_for_two_frames_after_the_first_then_uses_their_speed(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(control_mod.time, "monotonic", lambda: clock[0])
    reports = []
    meter = ProgressMeter(250, reports.append, rate=1000)
    clock[0] += 60.0                    # the first frame: model loading, preparation, warm-up
    meter.step()
    etas = [reports[-1].eta_seconds]
    for _ in range(3):                  # then two seconds a frame: 250 frames take about 8 minutes
        clock[0] += 2.0
        meter.step()
        etas.append(reports[-1].eta_seconds)
    assert etas[:2] == [None, None]     # not 250 x 60 s = 4 h 9 min after the first frame
    assert etas[2] == pytest.approx(247 * 2.0) and etas[3] == pytest.approx(246 * 2.0)
    meter.paused(30.0)                  # a pause counts for neither
    clock[0] += 32.0
    meter.step()
    assert reports[-1].eta_seconds == pytest.approx(245 * 2.0)


def test_a_resumed_render_also_waits_and_the_last_report_says_zero(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(control_mod.time, "monotonic", lambda: clock[0])
    reports = []
    meter = ProgressMeter(12, reports.append, rate=1000, done=9)     # 9 frames kept from before
    for seconds in (40.0, 1.0, 1.0):
        clock[0] += seconds
        meter.step()
    assert [r.eta_seconds for r in reports] == [None, None, 0.0]


def test_the_progress_line_says_estimating_until_the_eta_is_known():
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    bar(control_mod.Progress(done=1, total=25, fps=0.02, eta_seconds=None))
    bar(control_mod.Progress(done=3, total=25, fps=0.5, eta_seconds=44.0))
    first, later = stream.getvalue().splitlines()
    assert first.endswith("ETA estimating...") and later.endswith("ETA 00:44")
