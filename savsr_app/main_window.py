"""The main window: preview and transport on the left, clip/scale/output on the right, docks below."""
from __future__ import annotations

from . import APP_NAME, menus
from .panels.clip_panel import ClipPanel
from .finetune.finetune_mount import mount_finetune_panel
from .queue.jobs import QueueStore
from .notify import Notifier
from .panels.output_panel import OutputPanel
from .preview.preview_area import PreviewArea
from .preview.preview_controller import PreviewController
from .queue.queue_model import QueueModel
from .queue.queue_panel import QueuePanel
from .queue.render_worker import QueueRunner
from .panels.scale_panel import ScalePanel
from .qt import QDockWidget, QGroupBox, QMainWindow, QScrollArea, QSize, QSplitter, Qt, QVBoxLayout, QWidget, Signal
from .settings import AppSettings, SettingsStore
from .status import AdvancedDock, LogDock, StatusBar
from .tasks import Background
from .preview.transport import Transport
from .window_logic import WindowLogic

SIDE_WIDTH = 340


class MainWindow(WindowLogic, QMainWindow):
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
        self.info = None
        self._close_confirmed = False
        self._build_widgets()
        self._build_docks()
        self.actions_by_name = menus.build(self)
        self._wire()
        mount_finetune_panel(self)
        self._restore()
        for e in self.queue_store.resumed:     # jobs interrupted by a close, a crash or a kill
            self.log_dock.append(f"{e.name}: {e.message}")

    # ---- construction ------------------------------------------------------------------------
    def _build_widgets(self):
        self.preview = PreviewArea()
        self.transport = Transport()
        self.clip_panel = ClipPanel()
        self.scale_panel = ScalePanel()
        self.output_panel = OutputPanel()
        self.controller = PreviewController(self)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(6, 6, 0, 4)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.transport)
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(6, 6, 6, 6)
        for title, widget in (("Clip", self.clip_panel), ("Scale", self.scale_panel),
                              ("Output", self.output_panel)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            side_lay.addWidget(box)
        side_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QWidget()
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(0, 0, 0, 4)
        right_lay.addWidget(scroll, 1)
        add_row = QVBoxLayout()
        add_row.setContentsMargins(12, 0, 12, 0)
        add_row.addWidget(self.output_panel.add_button)
        right_lay.addLayout(add_row)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        right.setMinimumWidth(SIDE_WIDTH)
        right.setMaximumWidth(SIDE_WIDTH + 120)
        self.setCentralWidget(splitter)
        self.notifier = Notifier(self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)

    def _build_docks(self):
        self.queue_model = QueueModel(self.queue_store.load(), self)
        self.runner = QueueRunner(self.queue_model, self)
        self.queue_panel = QueuePanel(self.queue_model)
        self.queue_dock = QDockWidget("Queue", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        self.queue_dock.toggleViewAction().setShortcut("Ctrl+J")
        self.log_dock = LogDock(self)
        self.advanced_dock = AdvancedDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.tabifyDockWidget(self.queue_dock, self.log_dock)
        self.queue_dock.raise_()
        self.log_dock.hide()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.advanced_dock)
        self.advanced_dock.hide()
        self.resizeDocks([self.queue_dock], [190], Qt.Orientation.Vertical)

    def _wire(self):
        c, area = self.controller, self.preview
        self.scale_panel.scaleChanged.connect(self._scale_changed)
        self.transport.frameChanged.connect(c.set_frame)
        self.transport.rangeChanged.connect(lambda *_: self.update_output_text())
        self.output_panel.changed.connect(self.update_output_text)
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
        q, r = self.queue_panel, self.runner
        q.pauseRequested.connect(r.pause)
        q.resumeRequested.connect(r.resume)
        q.cancelRequested.connect(r.cancel)
        q.removeRequested.connect(r.discard_work)     # first: the job's kept segments go with it
        q.removeRequested.connect(self.remove_job)
        q.retryRequested.connect(self.retry_job)
        q.runToggled.connect(r.set_running)
        r.runningChanged.connect(q.run_action.setChecked)
        r.logMessage.connect(self.log_dock.append)
        r.jobFailed.connect(lambda jid, msg: self.notify(f"{self._job_name(jid)} failed: {msg}", "error"))
        r.jobFinished.connect(self._job_finished)
        r.progressed.connect(self._job_progress)
        r.jobStarted.connect(self._job_progress)
        r.stopped.connect(self._runner_stopped)
        self.queue_model.structureChanged.connect(self.save_queue)
        self.advanced_dock.visibilityChanged.connect(self._advanced_visibility)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
