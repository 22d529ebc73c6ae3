"""The main window: preview and transport on the left, clip/scale/output on the right, docks below.

The window builds the widgets and wires them to what they share, one
:class:`~savsr_app.state.app_state.AppState` (:meth:`MainWindow._wire_state`). Queue commands live in
:class:`~savsr_app.queue.actions.QueueActions`; what closing does while work runs is decided
by :class:`~savsr_app.window.closing.CloseGuard`; how the widgets and docks are arranged, and how that is
kept between sessions, by :mod:`savsr_app.window.layout`.
"""
from __future__ import annotations

from pathlib import Path

from .. import APP_NAME
from ..dialogs.settings_dialog import SettingsDialog
from ..finetune.mount import mount_finetune_panel
from ..panels.clip_panel import ClipPanel
from ..panels.delivery_presets import mount_delivery
from ..panels.output_panel import OutputPanel
from ..panels.scale_panel import ScalePanel
from ..preview.area import PreviewArea
from ..preview.controller import PreviewController
from ..preview.export import ComparisonExport
from ..preview.transport import Transport
from ..preview.wiring import connect_preview
from ..qt import QDockWidget, QFileDialog, QMainWindow, QSize, Signal
from ..queue.actions import QueueActions
from ..queue.jobs import QUEUED, QueueStore
from ..queue.model import QueueModel
from ..queue.panel import QueuePanel
from ..queue.render_worker import QueueRunner
from ..state.app_state import AppState, ModelChoice
from ..state.auto_model import AutoModel
from ..state.costs import CostTracker, device_words, resolved_device
from ..state.settings import AppSettings, SettingsStore
from ..support.tasks import Background
from ..support.wheel_guard import WheelGuard, guard_wheel
from . import comparison_command, menus
from .closing import CloseGuard
from .docks import AdvancedDock, LogDock
from .layout import arrange_docks, central_splitter, restore_layout, save_layout
from .notify import Notifier, ask_yes_no
from .start_screen import install_start_screen
from .status import StatusBar

VIDEO_FILTER = "Video (*.mp4 *.mov *.mkv *.m4v *.avi *.webm *.mxf *.mts *.m2ts *.ts *.y4m);;All files (*)"


class MainWindow(QMainWindow):
    clipOpened = Signal(object)      # ClipInfo
    openFailed = Signal(str)

    def __init__(self, settings: AppSettings | None = None, settings_store: SettingsStore | None = None,
                 queue_store: QueueStore | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(960, 600))
        self.settings_store = settings_store or SettingsStore()
        self.settings = settings or self.settings_store.load()
        self.queue_store = queue_store or QueueStore()
        self.background = Background(self)
        self.clips: list[str] = []      # the clips opened or dropped together (open_paths)
        self.state = AppState(self)
        self._build_widgets()
        self._build_docks()
        self.actions_by_name = menus.build(self)
        self._wire()
        self._wire_state()
        self._wire_costs()
        self.delivery = mount_delivery(self)    # before the settings fill the output panel's fields
        self.start_screen = install_start_screen(self)
        self._show_model(self.state.model)
        self._restore()
        self.finetune_panel = mount_finetune_panel(self)
        self.wheel_guard = WheelGuard(self)     # the wheel over an unfocused field scrolls its panel
        for panel in (self.clip_panel, self.scale_panel, self.output_panel, self.finetune_panel):
            guard_wheel(panel, self.wheel_guard)
        self.close_guard = CloseGuard(self.runner, self.finetune_panel, lambda question: self.confirm_close(question),
                                      self)
        self.close_guard.readyToClose.connect(self.close)
        self.close_guard.stopping.connect(self._stopping)
        for e in self.queue_store.resumed:     # jobs interrupted by a close, a crash or a kill
            self.log_dock.append(f"{e.name}: {e.message}")

    @property
    def info(self):
        """The open clip's ClipInfo, or ``None``."""
        return self.state.clip

    # ---- construction ------------------------------------------------------------------------
    def _build_widgets(self):
        self.preview = PreviewArea()
        self.transport = Transport()
        self.clip_panel = ClipPanel()
        self.scale_panel = ScalePanel(self.state)
        self.output_panel = OutputPanel()
        self.controller = PreviewController(self)
        self.comparison = ComparisonExport(self.background, self)
        comparison_command.wire(self)
        panels = [("Clip", self.clip_panel), ("Scale", self.scale_panel), ("Output", self.output_panel)]
        footer = [self.output_panel.add_button, self.output_panel.estimate_label]
        self.setCentralWidget(central_splitter(self.preview, self.transport, panels, footer))
        self.notifier = Notifier(self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)

    def _build_docks(self):
        self.queue_model = QueueModel(self.queue_store.load(), self)
        self.runner = QueueRunner(self.queue_model, lambda: self.settings.placement(), self)   # as each job starts
        self.queue_panel = QueuePanel(self.queue_model)
        self.queue_actions = QueueActions(self.state, self.queue_model, self.queue_store, self.runner, self)
        self.queue_dock = QDockWidget("Queue", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        self.queue_dock.toggleViewAction().setShortcut("Ctrl+J")
        self.log_dock = LogDock(self)
        self.advanced_dock = AdvancedDock(self)
        arrange_docks(self, self.queue_dock, self.log_dock, self.advanced_dock)

    def _wire(self):
        c, area = self.controller, self.preview
        self.transport.frameChanged.connect(c.set_frame)
        self.output_panel.addRequested.connect(self.add_to_queue)
        area.regionChanged.connect(c.set_region)
        area.methodChanged.connect(c.set_method)
        area.modeChanged.connect(self._mode_changed)
        c.outputSizeChanged.connect(lambda w, h: area.viewport.set_image_size(QSize(w, h)))
        c.beforeImage.connect(area.set_before)
        c.afterPatch.connect(area.images.add_patch)
        c.afterCleared.connect(area.images.clear_patches)
        c.busyChanged.connect(area.images.set_busy)
        c.afterTime.connect(area.images.set_seconds)
        c.error.connect(self._preview_error)
        c.modelLoaded.connect(self._model_loaded)
        connect_preview(c, self.transport, area)
        q, r, qa = self.queue_panel, self.runner, self.queue_actions
        q.pauseRequested.connect(r.pause)
        q.resumeRequested.connect(r.resume)
        q.cancelRequested.connect(r.cancel)
        q.removeRequested.connect(r.discard_work)     # first: the job's kept segments go with it
        q.removeRequested.connect(qa.remove)
        q.retryRequested.connect(qa.retry)
        q.runToggled.connect(r.set_running)
        r.runningChanged.connect(q.run_action.setChecked)
        r.logMessage.connect(self.log_dock.append)
        qa.queued.connect(self._show_queued)
        qa.notice.connect(self.notify)
        self.scale_panel.notice.connect(self.notify)
        qa.logged.connect(self.log_dock.append)
        qa.jobStatus.connect(self.status.set_job)
        self.advanced_dock.visibilityChanged.connect(self._advanced_visibility)
        self.recent_menu.aboutToShow.connect(self._fill_recent)

    def _wire_state(self):
        """Panels write the state; the preview, the panels and the output line follow it (the scale
        panel reads and writes the state's factors itself)."""
        s = self.state
        self.controller.follow(s)       # first: the preview shows the planned job's own pixels
        self.transport.rangeChanged.connect(lambda *_: s.set_range(*self.transport.range_seconds()))
        self.output_panel.changed.connect(lambda: s.set_output(self.output_panel.choice()))
        s.clipChanged.connect(self._show_clip)
        s.modelChanged.connect(self._show_model)
        self.clip_panel.changed.connect(lambda: s.set_archive(self.clip_panel.choice()))
        s.archiveChanged.connect(self.clip_panel.set_choice)
        s.archiveChanged.connect(lambda _a: self.scale_panel.set_source(s.source_size()))
        s.archiveChanged.connect(lambda _a: self.scale_panel.follow_target())
        s.planChanged.connect(self.clip_panel.show_plan)

    def _wire_costs(self):
        """Auto's model for each clip, and render-time estimates calibrated on this machine."""
        s = self.state
        self.auto_model = AutoModel(s, self.background, self)
        self.auto_model.logged.connect(self.log_dock.append)
        self.costs = CostTracker(s, self.runner, self.queue_model, self)
        self.costs.changed.connect(self._save_calibration)
        self.controller.afterTime.connect(lambda seconds: self.costs.preview_done(self.controller.region, seconds))
        self.queue_actions.costs = self.costs
        self.queue_actions.background = self.background
        self.queue_actions.confirm = self.confirm_long_render
        s.autoModelChanged.connect(lambda _c: self._show_model(s.model))
        s.jobChanged.connect(self._show_cost)
        self.queue_panel.failed.connect(lambda text: self.notify(text, "error"))

    def _show_cost(self):
        est = self.costs.estimate()
        tip = "Freeze these settings into a render job (Ctrl+Enter)"
        self.output_panel.add_button.setToolTip(f"{tip}\nEstimated: {est.text()}" if est else tip)
        self.actions_by_name["add"].setStatusTip(f"Add to queue: {est.text()}" if est else "Add to queue")
        self.output_panel.set_estimate(est)

    def _save_calibration(self):
        self.settings.calibration = self.state.calibration.to_dict()
        self.save_settings()

    def confirm_long_render(self, question: str) -> bool:
        return ask_yes_no(self, "A long render", question)

    # ---- opening clips -----------------------------------------------------------------------
    def open_dialog(self):
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open clips", start, VIDEO_FILTER)
        self.open_paths(paths)

    def open_paths(self, paths: list[str]):
        """Open the first of ``paths`` (files, or folders for their video files); all of them are
        :attr:`clips`, which Queue > Add all to queue renders with the current settings."""
        from engine.cli.batch import video_files
        files = [str(f) for p in paths for f in (video_files(Path(p)) if Path(p).is_dir() else [p])]
        if not files:
            return
        self.open_path(files[0])
        self.clips = files
        if len(files) > 1:
            self.notify(f"{len(files)} clips: showing {Path(files[0]).name}. Queue > Add all to queue "
                        f"(Ctrl+Shift+Enter) queues every one with these settings, each at its own size.", "info")

    def add_all_to_queue(self):
        """Queue every clip opened or dropped together (else the open clip) with the current settings."""
        self.queue_actions.add_all(self.clips or ([self.state.clip_path] if self.state.clip is not None else []))

    def open_path(self, path: str):
        """Probe ``path`` in the background; the clip opens when the probe answers."""
        from ..panels.clip_panel import probe_clip
        self.clips = [str(path)]
        self.status.showMessage(f"Opening {Path(path).name}…")
        self.background.call(probe_clip, str(path), done=self._clip_opened,
                             failed=lambda msg, p=path: self._open_failed(p, msg))

    def _open_failed(self, path: str, message: str):
        self.status.clearMessage()
        self.log_dock.append(f"could not open {path}: {message}")
        self.notify(message, "error")
        self.openFailed.emit(message)

    def _clip_opened(self, info):
        self.status.showMessage(f"Opened {Path(info.path).name}", 3000)
        self.settings.add_recent(info.path)
        self.save_settings()
        self.setWindowTitle(f"{Path(info.path).name} — {APP_NAME}")
        self.state.set_clip(info)
        self.log_dock.append(f"opened {info.path}: {info.width}x{info.height}, {info.frame_count} frames")
        self.clipOpened.emit(info)

    def _show_clip(self, info):
        self.clip_panel.set_clip(info)
        self.clip_panel.set_choice(self.state.archive)
        self.transport.set_clip(info)
        self.scale_panel.set_source(self.state.source_size())    # in display terms, as the engine plans
        self.scale_panel.follow_target()                         # a size preset gives this clip its size
        self.preview.images.clear()
        self.preview.viewport.show_new_image(QSize(*self.state.output_size()))

    def _fill_recent(self):
        menus.fill_recent(self.recent_menu, self.settings.recent_files, self.open_path, self._clear_recent)

    def _clear_recent(self):
        self.settings.recent_files = []
        self.save_settings()

    def dragEnterEvent(self, event):
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_paths(files)
            event.acceptProposedAction()

    # ---- comparisons -------------------------------------------------------------------------
    def export_comparison(self):
        """File > Export comparison… (and the preview's right-click)."""
        comparison_command.ask_and_export(self)

    # ---- queue -------------------------------------------------------------------------------
    def make_job(self, output: str | None = None):
        """The current settings frozen into a job (``output`` defaults to a fresh file name)."""
        return self.queue_actions.make_job(output)

    def add_to_queue(self):
        return self.queue_actions.add()

    def _show_queued(self, job_id: str):
        self.queue_dock.show()
        self.queue_dock.raise_()
        self.queue_panel.select(job_id)

    # ---- preview answers ---------------------------------------------------------------------
    def _mode_changed(self, mode: str):
        self.settings.preview_mode = mode

    def _preview_error(self, which: str, message: str):
        if which == "after":
            self.preview.images.set_error(message)
        else:
            self.notify(message, "error")
        self.log_dock.append(f"preview ({which}): {message}")

    def _model_loaded(self, name: str):
        self.log_dock.append(f"preview model loaded: {self.state.model_label} ({name})")

    # ---- settings and the model --------------------------------------------------------------
    def open_settings(self):
        dialog = SettingsDialog(self.settings, self.background, self)
        if dialog.exec():
            self.settings = dialog.result_settings()
            self.save_settings()
            self.apply_settings()

    def apply_settings(self):
        """The settings' output defaults go to the output panel; their model, device, precision and
        tile to the state (the preview and new jobs follow)."""
        s = self.settings
        self.output_panel.apply_defaults(s.codec, s.crf, s.container, s.output_dir)
        self.state.set_output(self.output_panel.choice())
        from ..qt import QApplication
        from .theme import apply_theme
        apply_theme(QApplication.instance(), s.theme)
        self.state.calibration.table = dict(s.calibration)
        self.state.device_name = device_words(resolved_device(s.device))
        self.state.set_model(ModelChoice(path=s.model, device=s.device, precision=s.precision, tile=s.tile,
                                         backend=s.backend))
        self._show_cost()

    def set_model(self, path: str, note: str | None = None):
        """Make ``path`` the active model (``""``: the bundled one), saved; ``note`` is told to the user."""
        self.settings.model = path
        self.save_settings()
        self.apply_settings()
        if note:
            self.notify(note, "info")
            self.log_dock.append(note)

    def _show_model(self, choice: ModelChoice):
        dev = resolved_device(choice.device)
        self.status.set_device(dev, device_words(dev))
        self.status.set_model(self.state.model_label)

    def save_settings(self):
        self.settings_store.save(self.settings)

    def notify(self, text: str, kind: str = "info"):
        """A notification; errors are written to the log as well (never only on stderr)."""
        self.notifier.show_message(text, kind)
        if kind == "error" and not self.log_dock.has_recent(text):
            self.log_dock.append(text)

    def _advanced_visibility(self, visible: bool):
        if self.isVisible() and visible != self.settings.show_advanced:
            self.settings.show_advanced = visible
            self.save_settings()

    # ---- start and stop ----------------------------------------------------------------------
    def _restore(self):
        s = self.settings
        restore_layout(self, s)
        self.advanced_dock.setVisible(s.show_advanced)
        self.preview.set_mode(s.preview_mode)
        self.apply_settings()
        for warning in (self.settings_store.warning, self.queue_store.warning):
            if warning:
                self.notify(warning, "error")
                self.log_dock.append(warning)
        waiting = [e for e in self.queue_model.entries if e.state == QUEUED]
        if waiting:     # never start heavy work unasked at launch (a render that crashed the app would again)
            self.runner.set_running(False)
            resumed = len(self.queue_store.resumed)
            extra = (f", {resumed} of them interrupted: they continue from their last finished segment"
                     if resumed else "")
            self.notify(f"{len(waiting)} queued job(s) restored{extra}. Press Run queue to render them.", "info")

    def confirm_close(self, question: str) -> bool:
        """Ask ``question`` (from the close guard: what quitting would stop); whether to stop and quit."""
        return ask_yes_no(self, "Stop and quit?", question)

    def _stopping(self, text: str):
        self.status.showMessage(text)
        self.log_dock.append(text)

    def closeEvent(self, event):
        if not self.close_guard.may_close():
            event.ignore()
            return
        self._save_window()
        self.finetune_panel.shutdown()      # waits for a fine-tune the user stopped just before
        self.controller.shutdown()
        self.runner.join()
        self.comparison.cancel()            # an export under way stops at its next layer
        self.background.wait()
        self.queue_actions.save()
        event.accept()

    def _save_window(self):
        save_layout(self, self.settings)
        self.settings.show_advanced = self.advanced_dock.isVisible()
        self.settings.preview_mode = self.preview.mode
        self.save_settings()
