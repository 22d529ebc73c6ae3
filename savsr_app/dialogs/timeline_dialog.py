"""File > Open timeline: the clips an edit uses, their ranges plus handles, queued as render jobs.

:func:`timeline_jobs` (no Qt) reads the timeline with OpenTimelineIO and turns each used piece of
media (:func:`engine.timeline.ranges.used_pieces`) into a job with the app's settings, as ``savsr
conform`` makes it (:func:`engine.timeline.conform.piece_job`); clips whose media is missing are
listed, one line each. :class:`TimelineDialog` shows them and queues the pieces through the window's
:class:`~savsr_app.queue.actions.QueueActions`; :func:`open_timeline` is the action.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import SavsrError
from engine.render.job import RenderJob

from ..qt import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    Signal,
    icon,
)

INSTALL_HINT = ("Opening a timeline needs OpenTimelineIO, an optional part of SAVSR Studio: "
                "pip install 'savsr-studio[timeline]' (or: pip install opentimelineio), then restart the app.")
TIMELINE_FILTER = "Timelines (*.otio *.otioz *.otiod *.edl *.xml *.fcpxml *.aaf);;All files (*)"
DEFAULT_HANDLES = 12
COLUMNS = ("Clips", "Media", "Used (s)", "With handles (s)", "Frames", "Output")


def has_otio() -> bool:
    try:
        import opentimelineio  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class TimelinePiece:
    """One job: a piece of one media file, for one or more clips."""
    clips: list[str]
    media: Path
    used: list[tuple[float, float]]    # each clip's range, seconds into the media file
    span: tuple[float, float]          # what is rendered: the ranges plus handles, clamped to the file
    job: RenderJob
    frames: int
    out_size: tuple[int, int]


@dataclass
class TimelineJobs:
    path: Path
    pieces: list[TimelinePiece] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)     # one line per clip left out


def timeline_jobs(path, template: RenderJob, folder, handles: int = DEFAULT_HANDLES,
                  ext: str = ".mov") -> TimelineJobs:
    """The jobs that upscale what timeline ``path`` uses, ``handles`` frames each side, into
    ``folder``, with ``template``'s settings (its input, output and range are replaced per piece).
    Raises :class:`~engine.errors.SavsrError` for a timeline that cannot be read."""
    from engine.timeline.conform import piece_job, read_timeline
    from engine.timeline.ranges import used_pieces
    path, folder = Path(path), Path(folder)
    usage = used_pieces(read_timeline(path), path.parent, handles)
    result = TimelineJobs(path, missing=[f"{m.clip!r} not queued, {m.why}" + (f": {m.media}" if m.media else "")
                                        for m in usage.missing])
    for piece in usage.pieces:
        try:
            job, p = piece_job(piece, folder, template, ext)     # as ``savsr conform`` makes it
        except SavsrError as exc:
            result.missing += [f"{c.name!r} not queued: {exc}" for c in piece.clips]
            continue
        used = [_used(clip, piece) for clip in piece.clips]
        result.pieces.append(TimelinePiece([c.name or "(unnamed)" for c in piece.clips], piece.media, used,
                                           (piece.start, piece.end), job, p.frame_count, p.display_out_size))
    return result


def _used(clip, piece) -> tuple[float, float]:
    r = clip.trimmed_range()
    first = (r.start_time - piece.origin).to_seconds()
    return first, first + r.duration.to_seconds()


def _span(a: float, b: float) -> str:
    return f"{a:.3f}–{b:.3f}"


class TimelineDialog(QDialog):
    """The pieces of a timeline and the clips left out; Queue adds the pieces as jobs.
    ``loaded`` follows each reading (the first, and one after the handles change)."""

    loaded = Signal()

    def __init__(self, window, path, parent=None):
        super().__init__(parent or window)
        self.window, self.path = window, Path(path)
        self.jobs: TimelineJobs | None = None
        self.setWindowTitle(f"Timeline: {self.path.name}")
        self.setObjectName("timelineDialog")
        self.resize(860, 420)
        self.summary = QLabel("Reading the timeline…")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.missing = QPlainTextEdit()
        self.missing.setObjectName("timelineMissing")
        self.missing.setReadOnly(True)
        self.missing.setMaximumHeight(90)
        self.handles = QSpinBox()
        self.handles.setRange(0, 1000)
        self.handles.setValue(DEFAULT_HANDLES)
        self.handles.setSuffix(" frames")
        self.handles.setToolTip("Extra frames rendered before and after each used range, for trims in the edit")
        self.handles.editingFinished.connect(self.reload)
        self.folder = QLineEdit(self._default_folder())
        self.folder.setToolTip("Folder for the upscaled pieces (created when queued)")
        browse = QToolButton()
        browse.setIcon(icon("mdi6.folder-open-outline"))
        browse.clicked.connect(self._browse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.queue_button = self.buttons.addButton("Queue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.queue_button.setObjectName("queueTimeline")
        self.queue_button.setEnabled(False)
        self.buttons.accepted.connect(self.queue)
        self.buttons.rejected.connect(self.reject)
        self._layout(browse)
        self.reload()

    def _layout(self, browse):
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Handles", self.handles)
        form.addRow("Folder", folder_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Clips left out:"))
        layout.addWidget(self.missing)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _default_folder(self) -> str:
        chosen = self.window.state.output.folder
        return chosen or str(self.path.parent / f"{self.path.stem}_savsr")

    def _browse(self):
        folder = QFileDialog.getExistingDirectory(self, "Folder for the upscaled pieces", self.folder.text())
        if folder:
            self.folder.setText(folder)

    # ---- reading -----------------------------------------------------------------------------
    def template(self) -> RenderJob:
        """The app's settings for every piece; pixel aspect as each file tags it."""
        return self.window.state.job("").replace(pixel_aspect=None, start=None, end=None)

    def extension(self) -> str:
        return self.window.state.output.extension

    def reload(self):
        """Read the timeline again (off the UI thread: every media file is probed)."""
        self.queue_button.setEnabled(False)
        self.window.background.call(timeline_jobs, self.path, self.template(), Path(self.folder.text()),
                                    self.handles.value(), self.extension(), done=self._show, failed=self._failed)

    def _failed(self, message: str):
        self.jobs = None
        self.summary.setText(f"Cannot open {self.path.name}: {message}")
        self.table.setRowCount(0)
        self.loaded.emit()

    def _show(self, jobs: TimelineJobs):
        self.jobs = jobs
        n, frames = len(jobs.pieces), sum(p.frames for p in jobs.pieces)
        clips = sum(len(p.clips) for p in jobs.pieces)
        self.summary.setText(f"{clips} clip(s) use {n} piece(s) of media: {frames} frames to upscale, "
                             f"{self.handles.value()} frames of handles each side."
                             + (f" {len(jobs.missing)} clip(s) left out (below)." if jobs.missing else ""))
        self.table.setRowCount(n)
        for row, piece in enumerate(jobs.pieces):
            job = piece.job
            cells = (", ".join(piece.clips), piece.media.name, ", ".join(_span(a, b) for a, b in piece.used),
                     _span(*piece.span),
                     str(piece.frames), f"{Path(job.output).name} ({piece.out_size[0]}x{piece.out_size[1]})")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(piece.media) if col == 1 else job.output if col == 5 else text)
                self.table.setItem(row, col, item)
        self.missing.setPlainText("\n".join(jobs.missing) or "none")
        self.queue_button.setText(f"Queue {n} piece(s)")
        self.queue_button.setEnabled(n > 0)
        self.loaded.emit()

    # ---- queueing ----------------------------------------------------------------------------
    def queue(self) -> list:
        """Add the pieces to the queue (into the chosen folder); the queue entries added."""
        if not self.jobs or not self.jobs.pieces:
            return []
        folder = Path(self.folder.text())
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.summary.setText(f"Cannot create the folder {folder}: {exc.strerror or exc}")
            return []
        entries = queue_pieces(self.window, self.jobs.pieces, folder)
        self.accept()
        return entries


def queue_pieces(window, pieces: list[TimelinePiece], folder: Path) -> list:
    """Queue ``pieces`` in ``window`` writing into ``folder``; a piece whose output is queued already
    is left (and logged)."""
    from ..queue.jobs import QueueEntry
    made = []
    for piece in pieces:
        job = piece.job.replace(output=str(folder / Path(piece.job.output).name))
        entry = QueueEntry(job=job, out_size=piece.out_size, frames=piece.frames, model_note=window.state.model_label)
        made.append((entry, f"queued {entry.name} {_span(*piece.span)} s for {', '.join(piece.clips)} → {job.output} "
                            f"({piece.frames} frames)"))
    return window.queue_actions.add_entries(made, "timeline piece")


def open_timeline(window, path: str | None = None):
    """File > Open timeline: ask for a file (unless ``path``) and show its dialog; without
    OpenTimelineIO, say how to install it. Returns the dialog (or ``None``)."""
    if not has_otio():
        window.notify(INSTALL_HINT, "error")
        return None
    if path is None:
        start = str(Path(window.settings.recent_files[0]).parent) if window.settings.recent_files else ""
        path, _ = QFileDialog.getOpenFileName(window, "Open timeline", start, TIMELINE_FILTER)
        if not path:
            return None
    dialog = TimelineDialog(window, path)
    dialog.setModal(True)
    dialog.show()
    return dialog
