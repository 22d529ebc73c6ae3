"""What the window learns about the machine while the user works: :class:`CostTracker` calibrates
render-time estimates from finished renders and previews (:mod:`savsr_app.state.estimate`) and keeps
the calibration in the settings; :func:`resolved_device` and :func:`device_words` say where a device
setting runs, as an id and in words ("this CPU", a GPU's name).
"""
from __future__ import annotations

import time

from engine.scale import Scale

from ..qt import QObject, Signal
from .estimate import (
    LONG_CPU_RENDER,
    format_duration,
    machine_load,
    others_load,
    own_load,
    process_cpu_seconds,
    work_units,
)


def resolved_device(device: str) -> str:
    """``cpu`` or ``cuda:N`` for a device setting (``auto`` included); ``cpu`` if it cannot run."""
    from engine.devices import resolve_device
    try:
        return str(resolve_device(device))
    except ValueError:
        return "cpu"


def device_words(device: str) -> str:
    """``this CPU`` or the GPU's name, for ``device`` as :func:`resolved_device` gives it."""
    if not device.startswith("cuda"):
        return "this CPU"
    from engine.devices import list_devices
    return dict(list_devices()).get(device, device)


class CostTracker(QObject):
    """Feeds the state's calibration from the queue runner and the preview; ``changed`` after each
    measurement (the window saves the settings)."""

    changed = Signal()

    def __init__(self, state, runner, queue_model, parent=None):
        super().__init__(parent)
        self.state, self.model = state, queue_model
        self._started: dict[str, tuple] = {}    # job id -> (monotonic start, frames done before, CPU s, load)
        self.runner, self._ended = runner, None          # monotonic time the last render ended
        runner.jobStarted.connect(self._job_started)
        runner.jobFinished.connect(self._job_finished)
        state.calibration.own_load = self._own_load

    def _own_load(self) -> float:
        since = None if self._ended is None else time.monotonic() - self._ended
        return own_load(None, self.runner.busy, since)

    def _job_started(self, job_id: str):
        e = self.model.entry(job_id)
        self._started[job_id] = (time.monotonic(), e.done if e else 0, process_cpu_seconds(), machine_load())

    def _job_finished(self, job_id: str, state: str):
        started, done_before, cpu, load = self._started.pop(job_id, (None, 0, 0.0, 0.0))
        self._ended = time.monotonic()
        e = self.model.entry(job_id)
        if state != "done" or started is None or e is None or done_before or not e.cost_key:
            return              # a resumed render's time is only part of it: no calibration
        self.state.calibration.record_render(e.cost_key, e.units_per_frame, e.frames, e.fps,
                                             time.monotonic() - started, process_cpu_seconds() - cpu,
                                             others_load(load, machine_load()))
        self._learnt()

    def preview_done(self, region, seconds: float):
        """A preview computed ``region`` (output pixels) at the state's factors in ``seconds``.

        The app's preview runs the PyTorch network, so it calibrates only the torch backend's key (and
        ``auto``'s while no compiled backend is installed: then auto renders with torch too).
        """
        if region is None or self.state.clip is None or not self._preview_is_the_render_backend():
            return
        scale = self.state.scale
        lr = (max(1, round(region.w / scale.w)), max(1, round(region.h / scale.h)))
        device = resolved_device(self.state.device)
        self.state.calibration.record_preview(self.state.cost_key(device), work_units(lr, (scale.w, scale.h), 1),
                                              seconds)
        self._learnt()

    def _preview_is_the_render_backend(self) -> bool:
        backend = self.state.model.backend
        if backend == "auto":
            from engine.backends.accelerated import installed_backends
            return installed_backends() == ["torch"]
        return backend == "torch"

    def _learnt(self):
        self.state.calibrated()
        self.changed.emit()

    # ---- what the user reads -----------------------------------------------------------------
    def units_per_frame(self) -> float:
        clip = self.state.clip
        scale = self.state.scale
        return work_units((clip.width, clip.height), (scale.w, scale.h), 1) if clip is not None else 0.0

    def estimate(self):
        return self.state.estimate(resolved_device(self.state.device))

    def long_render_question(self) -> str | None:
        """The question to ask before queueing a CPU render estimated over an hour (else ``None``)."""
        device = resolved_device(self.state.device)
        est = self.state.estimate(device)
        if est is None or device != "cpu" or est.seconds <= LONG_CPU_RENDER:
            return None
        from engine.devices import list_devices
        gpus = [name for dev, name in list_devices() if dev.startswith("cuda")]
        if gpus:        # the same job as ``est``: field-rate frames doubled, stored pixels as the render has them
            gpu = self.state.estimate("cuda:0", device_name=gpus[0])
            gpu_text = f"On the {gpus[0]} (Settings > Device) it would take {gpu.text().split(' on ')[0]}."
        else:
            gpu_text = "This computer has no CUDA GPU; on one, SAVSR renders many times faster."
        half = self.state.estimate(device, frames=max(1, self.state.frame_count() // 2))
        scale = self.state.scale
        small = self.state.estimate(device, scale=Scale(min(2.0, scale.w), min(2.0, scale.h)))
        return (f"This render is estimated at {est.text()}.\n\n{gpu_text}\n"
                f"A smaller output size saves little: SAVSR's work grows with the source's pixels (at ×2 about "
                f"{format_duration(small.seconds)}). Rendering half the frames (In/Out) takes about "
                f"{format_duration(half.seconds)}.\n\nQueue it anyway?")
