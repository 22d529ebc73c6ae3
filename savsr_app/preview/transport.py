"""Frame scrubber with time readout, playback, frame stepping and in/out points for the render range.

Playback runs like an editor's viewer: Space plays and pauses, J/K/L play backwards, pause and
play forwards (J or L again doubles the speed, up to 8x), at the clip's frame rate: the frame
shown is the one due by the clock, so a slow frame is skipped rather than slowing the clip down.
The scrubber carries the render range (orange) and the frames whose SAVSR preview is cached
(green), like an editor's render cache bar.
"""
from __future__ import annotations

import time

from ..qt import (
    QColor,
    QHBoxLayout,
    QLabel,
    QPainter,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)

MAX_SPEED = 8


def timecode(seconds: float) -> str:
    """``HH:MM:SS.mmm``."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _button(icon_name: str, tip: str, text: str = "") -> QToolButton:
    b = QToolButton()
    b.setIcon(icon(icon_name))
    b.setToolTip(tip)
    b.setAutoRaise(True)
    if text:
        b.setText(text)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return b


class RangeSlider(QSlider):
    """A frame slider that also shows the render range (in to out) as a band under the groove."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.range_band: tuple[int, int] | None = None
        self.cached: set[int] = set()

    def set_cached(self, frames):
        self.cached = set(frames)
        self.update()

    def set_band(self, first: int, last: int, whole: bool):
        self.range_band = None if whole else (first, last)
        self.update()

    def paintEvent(self, event):
        super().paintEvent(event)
        if (self.range_band is None and not self.cached) or self.maximum() <= self.minimum():
            return
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()

        def x(value):
            return groove.x() + handle.width() / 2 + QStyle.sliderPositionFromValue(
                self.minimum(), self.maximum(), value, span)

        p = QPainter(self)
        p.setPen(Qt.PenStyle.NoPen)
        if self.range_band is not None:
            p.setBrush(QColor(255, 170, 40, 200))
            x0, x1 = x(self.range_band[0]), x(self.range_band[1])
            p.drawRect(int(x0), self.height() - 4, max(2, int(x1 - x0)), 3)
        p.setBrush(QColor(80, 200, 120, 220))       # the cache bar: frames whose SAVSR view is ready
        step = max(1.0, span / max(1, self.maximum() - self.minimum()))
        for f in self.cached:
            p.drawRect(int(x(f) - step / 2), 0, max(1, int(step + 0.5)), 3)


class Transport(QWidget):
    """``frameChanged(index)``; ``rangeChanged(first, last)`` (inclusive frame indices)."""

    frameChanged = Signal(int)
    rangeChanged = Signal(int, int)
    playingChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.info = None
        self.in_frame = 0
        self.out_frame = 0
        self.slider = RangeSlider()
        self.slider.setObjectName("frameSlider")
        self.slider.setToolTip("Preview frame (Left/Right step one frame, Home/End jump)")
        self.slider.valueChanged.connect(self._moved)
        self.first_button = _button("mdi6.skip-previous", "First frame (Home)")
        self.prev_button = _button("mdi6.step-backward", "Previous frame (Left)")
        self.next_button = _button("mdi6.step-forward", "Next frame (Right)")
        self.play_button = _button("mdi6.play", "Play / pause at the clip's frame rate (Space; J/K/L: back, pause, "
                                   "forward, again for faster)")
        self.play_button.setObjectName("playButton")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = 0                  # frames of the clip per frame of playback; negative: backwards
        self._clock = QTimer(self, timeout=self._tick)
        self._clock.setTimerType(Qt.TimerType.PreciseTimer)
        self._started = (0.0, 0)
        self.last_button = _button("mdi6.skip-next", "Last frame (End)")
        self.first_button.clicked.connect(lambda: self.set_frame(0))
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.last_button.clicked.connect(lambda: self.set_frame(self.slider.maximum()))
        self.time_label = QLabel()
        self.time_label.setObjectName("timeReadout")
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.in_button = _button("mdi6.contain-start", "Set the render's first frame to this one (I)", "In")
        self.out_button = _button("mdi6.contain-end", "Set the render's last frame to this one (O)", "Out")
        self.clear_button = _button("mdi6.arrow-expand-horizontal", "Render the whole clip (Alt+X)", "Whole clip")
        self.in_button.clicked.connect(self.mark_in)
        self.out_button.clicked.connect(self.mark_out)
        self.clear_button.clicked.connect(self.clear_range)
        self.range_label = QLabel()
        self.range_label.setObjectName("rangeLabel")
        self._layout()
        self.set_clip(None)

    def _layout(self):
        top = QHBoxLayout()
        for b in (self.first_button, self.prev_button, self.play_button):
            top.addWidget(b)
        top.addWidget(self.slider, 1)
        for b in (self.next_button, self.last_button):
            top.addWidget(b)
        top.addWidget(self.time_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.in_button)
        bottom.addWidget(self.out_button)
        bottom.addWidget(self.clear_button)
        bottom.addWidget(self.range_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(bottom)

    # ---- clip --------------------------------------------------------------------------------
    def set_clip(self, info):
        self.info = info
        count = info.frame_count if info is not None else 1
        self.pause()
        for w in (self.slider, self.first_button, self.prev_button, self.next_button, self.last_button,
                  self.in_button, self.out_button, self.clear_button, self.play_button):
            w.setEnabled(info is not None)
        self.slider.blockSignals(True)
        self.slider.setRange(0, count - 1)
        self.slider.setValue(0)
        self.slider.setPageStep(max(1, round(info.fps)) if info is not None else 1)
        self.slider.blockSignals(False)
        self.in_frame, self.out_frame = 0, count - 1
        self._show()

    @property
    def frame(self) -> int:
        return self.slider.value()

    def set_frame(self, index: int):
        self.slider.setValue(max(0, min(self.slider.maximum(), index)))

    def step(self, delta: int):
        self.pause()
        self.set_frame(self.frame + delta)

    # ---- playback ----------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.speed != 0

    def toggle_play(self):
        self.pause() if self.playing else self.play(1)

    def play(self, speed: int):
        if self.info is None or not speed:
            return
        if speed > 0 and self.frame >= self.slider.maximum():
            self.set_frame(0)                       # from the end: start again, as players do
        was = self.playing
        self.speed = max(-MAX_SPEED, min(MAX_SPEED, speed))
        self._started = (time.perf_counter(), self.frame)
        self._clock.start(max(5, int(1000 / max(1.0, self.info.fps * abs(self.speed)) / 2)))
        self.play_button.setIcon(icon("mdi6.pause"))
        if not was:
            self.playingChanged.emit(True)

    def pause(self):
        if self.speed:
            self.speed = 0
            self._clock.stop()
            self.play_button.setIcon(icon("mdi6.play"))
            self.playingChanged.emit(False)

    def forward(self):
        """L: play forwards; again doubles the speed."""
        self.play(self.speed * 2 if self.speed > 0 else 1)

    def backward(self):
        """J: play backwards; again doubles the speed."""
        self.play(self.speed * 2 if self.speed < 0 else -1)

    def _tick(self):
        t0, f0 = self._started
        due = f0 + int((time.perf_counter() - t0) * self.info.fps * self.speed)
        last = self.slider.maximum()
        if due != self.frame:
            self.set_frame(due)
        if (self.speed > 0 and due >= last) or (self.speed < 0 and due <= 0):
            self.pause()

    def _moved(self, index: int):
        self._show()
        self.frameChanged.emit(index)

    # ---- range -------------------------------------------------------------------------------
    def mark_in(self):
        self.set_range(self.frame, max(self.frame, self.out_frame))

    def mark_out(self):
        self.set_range(min(self.in_frame, self.frame), self.frame)

    def clear_range(self):
        if self.info is not None:
            self.set_range(0, self.info.frame_count - 1)

    def set_range(self, first: int, last: int):
        if self.info is None:
            return
        self.in_frame, self.out_frame = first, last
        self._show()
        self.rangeChanged.emit(first, last)

    @property
    def whole_clip(self) -> bool:
        return self.info is None or (self.in_frame == 0 and self.out_frame == self.info.frame_count - 1)

    def range_seconds(self) -> tuple[float | None, float | None]:
        """``(start, end)`` in seconds for a job: ``None`` where the range reaches the clip's end."""
        if self.whole_clip:
            return None, None
        start = self.info.frame_time(self.in_frame) if self.in_frame else None
        last = self.out_frame
        end = None if last >= self.info.frame_count - 1 else self.info.frame_time(last + 1)
        return start, end

    def _show(self):
        if self.info is None:
            self.time_label.setText(f"{timecode(0)} / {timecode(0)}")
            self.range_label.setText("")
            return
        i = self.frame
        self.time_label.setText(f"{timecode(self.info.frame_time(i))} / {timecode(self.info.duration)}   "
                                f"frame {i + 1} / {self.info.frame_count}")
        self.slider.set_band(self.in_frame, self.out_frame, self.whole_clip)
        n = self.out_frame - self.in_frame + 1
        where = "whole clip" if self.whole_clip else (
            f"{timecode(self.info.frame_time(self.in_frame))} → {timecode(self.info.frame_time(self.out_frame))}")
        self.range_label.setText(f"Render: {where} ({n} frames)")
