"""The queue dock's content: the job table with progress bars and the per-job actions."""
from __future__ import annotations

import os
from pathlib import Path

from ..qt import (
    QAbstractItemView,
    QAction,
    QApplication,
    QDesktopServices,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    Qt,
    QTableView,
    QToolBar,
    QUrl,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)
from ..state.estimate import format_duration
from .jobs import ACTIVE, DONE, PAUSED, QUEUED, RETRYABLE, RUNNING
from .model import OUTPUT_COLUMN, PROGRESS_COLUMN, STATE_COLUMN, EntryRole, QueueModel

FIT_COLUMNS = (0, 1, 3, 4)      # clip, size, speed, ETA: as wide as their text, up to FIT_MAX
FIT_MAX = 260
OUTPUT_ROOM = 220               # what the state column leaves the output path (elided in its middle)


class ProgressDelegate(QStyledItemDelegate):
    """Paints the progress column as a native progress bar."""

    def paint(self, painter, option, index):
        entry = index.data(EntryRole)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 4, -4, -4)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(entry.fraction * 1000)
        bar.text = f"{entry.fraction * 100:.0f}%"
        bar.textVisible = True
        bar.state = option.state
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class QueuePanel(QWidget):
    """Acts on the selected job through signals carrying its id; the window wires them to the runner."""

    pauseRequested = Signal(str)
    resumeRequested = Signal(str)
    cancelRequested = Signal(str)
    removeRequested = Signal(str)
    retryRequested = Signal(str)
    runToggled = Signal(bool)
    failed = Signal(str)            # an action that could not be done, in words (log and notification)

    def __init__(self, model: QueueModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setModel(model)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _i: self.open_folder())
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)     # paths keep their file name
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(64)
        for col in range(OUTPUT_COLUMN):            # sized by fit_columns; the user may drag them
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(OUTPUT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(PROGRESS_COLUMN, 150)
        header.resizeSection(STATE_COLUMN, 150)
        self.total_label = QLabel()
        self.total_label.setObjectName("queueTotal")
        self.total_label.setToolTip("Rendering time left for the running and queued jobs, from their estimates "
                                    "and the running job's speed")
        self._actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 2)
        layout.setSpacing(0)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.total_label)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        for sig in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.rowsMoved, model.modelReset):
            sig.connect(lambda *_: self.update_actions())
            sig.connect(lambda *_: self.update_total())
            sig.connect(lambda *_: self.fit_columns())
        self.update_total()
        self.update_actions()

    def _action(self, name: str, text: str, icon_name: str, tip: str, slot, shortcut: str | None = None) -> QAction:
        a = QAction(icon(icon_name), text, self)
        a.setObjectName(name)
        a.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
        if shortcut:
            a.setShortcut(shortcut)
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        a.triggered.connect(slot)
        return a

    def _actions(self):
        self.run_action = self._action("runQueue", "Run queue", "mdi6.play-box-multiple-outline",
                                       "Render queued jobs one after another; off holds the queue",
                                       lambda on: self.runToggled.emit(on))
        self.run_action.setCheckable(True)
        self.run_action.setChecked(True)
        self.run_action.toggled.connect(self._show_running)
        self._show_running(True)
        self.pause_action = self._action("pauseJob", "Pause", "mdi6.pause", "Pause or resume the running job",
                                         self._pause_resume, "Space")
        self.cancel_action = self._action("cancelJob", "Cancel", "mdi6.stop", "Cancel the job; no output is kept",
                                          lambda: self._emit(self.cancelRequested))
        self.retry_action = self._action("retryJob", "Retry", "mdi6.restart",
                                         "Queue the job again; it continues from the segments a stopped or "
                                         "failed render kept", lambda: self._emit(self.retryRequested))
        self.up_action = self._action("moveUp", "Up", "mdi6.arrow-up", "Move the job up", lambda: self._move(-1),
                                      "Ctrl+Up")
        self.down_action = self._action("moveDown", "Down", "mdi6.arrow-down", "Move the job down",
                                        lambda: self._move(1), "Ctrl+Down")
        self.remove_action = self._action("removeJob", "Remove", "mdi6.playlist-remove",
                                          "Remove the job from the queue, with any segments it kept",
                                          lambda: self._emit(self.removeRequested), "Delete")
        self.folder_action = self._action("openFolder", "Open folder", "mdi6.folder-open-outline",
                                          "Show the output folder", self.open_folder)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setIconSize(self.toolbar.iconSize() * 0.8)
        self.toolbar.addAction(self.run_action)
        self.toolbar.addSeparator()
        for a in (self.pause_action, self.cancel_action, self.retry_action, self.up_action, self.down_action,
                  self.remove_action, self.folder_action):
            self.toolbar.addAction(a)
            self.table.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)

    def _show_running(self, on: bool):
        """The toggle says what the queue does now: running (click to hold), or stopped, named Run queue
        as every notice of a stopped queue names it ("press Run queue")."""
        a = self.run_action
        a.setText("Queue running" if on else "Run queue")
        a.setIcon(icon("mdi6.play-circle", color="#3fb950") if on else icon("mdi6.pause-circle-outline"))
        a.setToolTip("The queue renders its jobs one after another; click to hold it after the running job"
                     if on else "The queue is stopped: added jobs wait; click to render them")

    def fit_columns(self):
        """Every column as wide as its text (a queue's "done: 25 frames in 1 min, CPU · OpenVINO bf16"
        is read whole at 1280x800); only a state longer than the room left beside ``OUTPUT_ROOM`` pixels
        of output path is cut, and its row's tooltip says it all."""
        t, header = self.table, self.table.horizontalHeader()

        def wanted(col: int) -> int:
            return max(header.sectionSizeHint(col), t.sizeHintForColumn(col))

        for col in FIT_COLUMNS:
            header.resizeSection(col, min(FIT_MAX, wanted(col)))
        others = sum(header.sectionSize(c) for c in range(OUTPUT_COLUMN) if c != STATE_COLUMN)
        room = t.viewport().width() - others - OUTPUT_ROOM
        header.resizeSection(STATE_COLUMN, max(header.minimumSectionSize(), min(wanted(STATE_COLUMN), room)))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.fit_columns()

    def update_total(self):
        seconds, jobs = self.model.remaining()
        paused = " (paused)" if any(e.state == PAUSED for e in self.model.entries) else ""
        self.total_label.setText(f"{jobs} job{'s' if jobs != 1 else ''} left, about {format_duration(seconds)}"
                                 f"{paused}  " if jobs else "")

    # ---- selection ---------------------------------------------------------------------------
    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.entries[rows[0].row()] if rows else None

    def select(self, job_id: str):
        row = self.model.row_of(job_id)
        if row >= 0:
            self.table.selectRow(row)

    def _emit(self, signal):
        e = self.selected()
        if e is not None:
            signal.emit(e.id)

    def _pause_resume(self):
        e = self.selected()
        if e is not None and e.state == RUNNING:
            self.pauseRequested.emit(e.id)
        elif e is not None and e.state == PAUSED:
            self.resumeRequested.emit(e.id)

    def _move(self, delta: int):
        e = self.selected()
        if e is not None and self.model.move(e.id, delta):
            self.select(e.id)

    def open_folder(self):
        e = self.selected()
        if e is None:
            return
        out = Path(e.job.output)
        folder = out if e.job.codec == "png" and out.is_dir() else out.parent
        if not folder.is_dir():
            self.failed.emit(f"cannot open {folder}: the folder does not exist (any more)")
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(os.fspath(folder))):
            self.failed.emit(f"cannot open {folder}: no file manager answered; the output is {out}")

    def update_actions(self):
        e = self.selected()
        state = e.state if e else None
        row = self.model.row_of(e.id) if e else -1
        self.pause_action.setEnabled(state in ACTIVE)
        paused = state == PAUSED
        self.pause_action.setText("Resume" if paused else "Pause")
        self.pause_action.setIcon(icon("mdi6.play" if paused else "mdi6.pause"))
        self.cancel_action.setEnabled(state in (QUEUED, *ACTIVE))
        self.retry_action.setEnabled(state in RETRYABLE)
        self.remove_action.setEnabled(e is not None and state not in ACTIVE)
        self.up_action.setEnabled(row > 0)
        self.down_action.setEnabled(0 <= row < len(self.model.entries) - 1)
        self.folder_action.setEnabled(state == DONE or (e is not None and Path(e.job.output).parent.is_dir()))

    def _context_menu(self, pos):
        if self.table.indexAt(pos).isValid():
            menu = QMenu(self)
            for a in (self.pause_action, self.cancel_action, self.retry_action, None, self.up_action,
                      self.down_action, self.remove_action, None, self.folder_action):
                menu.addSeparator() if a is None else menu.addAction(a)
            menu.exec(self.table.viewport().mapToGlobal(pos))
