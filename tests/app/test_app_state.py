"""The application state apart from any widget, and the window's panels writing and following it."""
from __future__ import annotations

from helpers.app_clips import CLIP_SIZE, open_clip

from engine.scale import Scale
from savsr_app.state.app_state import AppState, ModelChoice, OutputChoice


def test_changes_are_signalled_once_and_a_job_freezes_the_state(qtbot, clip):
    from engine.video import probe
    state, seen = AppState(), []
    state.scaleChanged.connect(lambda scale: seen.append(("scale", scale)))
    state.planChanged.connect(lambda planned: seen.append(("plan", planned)))
    state.jobChanged.connect(lambda: seen.append(("job", state.scale)))   # after the specific signal
    state.set_scale(Scale(2.5, 1.5))
    state.set_scale(Scale(2.5, 1.5))                 # no change: no signal
    assert seen == [("scale", Scale(2.5, 1.5)), ("plan", None), ("job", Scale(2.5, 1.5))]   # no clip: no plan
    info = probe(str(clip))
    state.set_range(0.2, None)
    state.set_clip(info)                             # a new clip: the whole of it again
    assert state.range == (None, None) and state.clip_path == info.path
    assert state.planned.clip is info and state.planned.plan.display_out_size == state.output_size()
    assert state.output_size() == (round(CLIP_SIZE[0] * 2.5), round(CLIP_SIZE[1] * 1.5))
    state.set_output(OutputChoice(codec="ffv1", crf=0, extension=".mkv", folder=""))
    state.set_model(ModelChoice(path="", device="cpu", precision="fp32", tile=64))
    job = state.job("out.mkv")
    state.set_scale(Scale(3.0, 3.0))                 # later changes never reach a frozen job
    assert (job.scale_w, job.scale_h, job.codec, job.model, job.device, job.tile) == (
        2.5, 1.5, "ffv1", "auto", "cpu", 64)


def test_the_window_panels_write_the_state_and_the_fine_tune_panel_follows_it(qtbot, window, clip):
    state = window.state
    panel = window.scale_panel
    panel.set_factors(3.0, 2.5)                      # different factors unlink them
    assert state.scale == Scale(3.0, 2.5) and not panel.linked
    state.set_scale(Scale(1.5, 1.25))                # the panel shows the state's factors, whoever set them
    assert (panel.w_factor.value(), panel.h_factor.value()) == (1.5, 1.25)
    panel.h_factor.setValue(2.5)
    panel.w_factor.setValue(3.0)
    assert state.scale == Scale(3.0, 2.5)
    form = window.finetune_panel.form
    assert (form.scale_w.value(), form.scale_h.value()) == (3.0, 2.5)
    info = open_clip(qtbot, window, clip)
    assert state.clip is info and window.controller.grid.scale == (2.5, 3.0)    # the preview's grid: (h, w)
    window.transport.set_frame(2)
    window.transport.mark_in()
    assert state.range == (info.frame_time(2), None)
    window.output_panel.codec.setCurrentIndex(window.output_panel.codec.findData("h265"))
    assert state.output.codec == "h265"
    assert "frames" in window.scale_panel.output_label.text()                    # the output line follows
    window.settings.device = "cpu"
    window.set_model("")
    assert state.model.path == "" and window.controller.net.spec == "auto"      # the preview runs the job's model
    assert window.make_job().start == info.frame_time(2)
