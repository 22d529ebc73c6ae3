"""The queue as a Qt table model over :class:`~savsr_app.queue.jobs.QueueEntry` rows."""
from __future__ import annotations

from engine.errors import SavsrError

from ..preview.transport import timecode
from ..qt import QModelIndex, Qt, Signal, icon
from ..state.estimate import format_duration
from ..support.table_model import ColumnTableModel
from .jobs import DONE, FAILED, INTERRUPTED, PAUSED, QUEUED, RUNNING, QueueEntry, kept_frames

COLUMNS = ("Clip", "Size", "Progress", "Speed", "ETA", "State", "Output file")
PROGRESS_COLUMN, STATE_COLUMN, OUTPUT_COLUMN = 2, 5, 6
STATE_ICONS = {QUEUED: "mdi6.clock-outline", RUNNING: "mdi6.play-circle-outline", PAUSED: "mdi6.pause-circle-outline",
               DONE: "mdi6.check-circle-outline", FAILED: "mdi6.alert-circle-outline",
               "cancelled": "mdi6.close-circle-outline", INTERRUPTED: "mdi6.restart-alert"}
EntryRole = Qt.ItemDataRole.UserRole + 1
ESTIMATING = "estimating…"      # a running job's ETA until frames after its first are timed


def status_text(e: QueueEntry) -> str | None:
    """The status bar's line for a running or paused job (``None`` for any other state)."""
    if e.state == PAUSED:
        return f"Paused: {e.name} at {e.done}/{e.frames} frames (Resume continues it)"
    if e.state != RUNNING:
        return None
    eta = ESTIMATING if e.eta is None else f"ETA {timecode(e.eta).split('.')[0]}"
    return f"Rendering {e.name}: {e.done}/{e.frames}, {eta}"


class QueueModel(ColumnTableModel):
    """Rows are entries; ``structureChanged`` fires on anything worth saving (not on progress)."""

    columns = COLUMNS

    structureChanged = Signal()

    def __init__(self, entries: list[QueueEntry] | None = None, parent=None):
        super().__init__(parent)
        self.entries: list[QueueEntry] = list(entries or [])

    # ---- Qt model ----------------------------------------------------------------------------
    def row_items(self) -> list:
        return self.entries

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        col = index.column()
        if role == EntryRole:
            return e
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(e, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(e)
        if role == Qt.ItemDataRole.DecorationRole and col == STATE_COLUMN:
            return icon(STATE_ICONS.get(e.state, "mdi6.help-circle-outline"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(e: QueueEntry, col: int) -> str:
        if col == 0:
            return e.name
        if col == 1:
            return f"{e.out_size[0]}×{e.out_size[1]}"
        if col == PROGRESS_COLUMN:
            return f"{e.fraction * 100:.0f}%"
        if col == 3:
            if e.state != RUNNING or e.fps <= 0:
                return ""
            return f"{e.fps:.1f} fps" if e.fps >= 1 else f"{1 / e.fps:.1f} s/frame"
        if col == 4:
            if e.state == RUNNING:
                return ESTIMATING if e.eta is None else timecode(e.eta).split(".")[0]
            if e.state == PAUSED:
                return "paused"
            return f"~{format_duration(e.remaining())}" if e.state == QUEUED and e.remaining() is not None else ""
        if col == OUTPUT_COLUMN:
            return e.job.output
        return e.state if not e.message else f"{e.state}: {e.message}"

    @staticmethod
    def _tooltip(e: QueueEntry) -> str:
        j = e.job
        lines = [f"Input: {j.input}", f"Output: {j.output}",
                 f"Scale: ×{j.scale_w:.4g} width, ×{j.scale_h:.4g} height → {e.out_size[0]}×{e.out_size[1]}",
                 f"Frames: {e.frames}" + ("" if j.start is None and j.end is None else
                                          f" ({j.start or 0:.3f} s to {'end' if j.end is None else f'{j.end:.3f} s'})"),
                 f"Codec: {j.codec}" + (f", CRF {j.crf}" if j.codec in ('h264', 'h265') else ""),
                 f"Model: {e.model_note or j.model or 'auto'}; device {j.device}, {j.precision}, "
                 f"backend {j.backend}"]
        if e.estimate is not None:
            lines.append(f"Estimated when queued: {format_duration(e.estimate)}")
        if e.message:
            lines.append(f"{e.state.capitalize()}: {e.message}")
        return "\n".join(lines)

    # ---- access ------------------------------------------------------------------------------
    def row_of(self, job_id: str) -> int:
        for i, e in enumerate(self.entries):
            if e.id == job_id:
                return i
        return -1

    def entry(self, job_id: str) -> QueueEntry | None:
        row = self.row_of(job_id)
        return self.entries[row] if row >= 0 else None

    def remaining(self) -> tuple[float, int]:
        """Seconds of rendering left in the queue (running and queued jobs with an estimate) and how
        many jobs that covers."""
        left = [e.remaining() for e in self.entries]
        known = [t for t in left if t is not None]
        return sum(known), len(known)

    def next_queued(self) -> QueueEntry | None:
        return next((e for e in self.entries if e.state == QUEUED), None)

    # ---- edits -------------------------------------------------------------------------------
    def add(self, entry: QueueEntry):
        row = len(self.entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self.entries.append(entry)
        self.endInsertRows()
        self.structureChanged.emit()

    def remove(self, job_id: str):
        row = self.row_of(job_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.entries[row]
            self.endRemoveRows()
            self.structureChanged.emit()

    def move(self, job_id: str, delta: int) -> bool:
        row = self.row_of(job_id)
        target = row + delta
        if row < 0 or not 0 <= target < len(self.entries):
            return False
        dest = target + 1 if delta > 0 else target   # Qt's destination is "insert before"
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest)
        self.entries.insert(target, self.entries.pop(row))
        self.endMoveRows()
        self.structureChanged.emit()
        return True

    def update(self, job_id: str, save: bool = True, **changes):
        row = self.row_of(job_id)
        if row < 0:
            return
        e = self.entries[row]
        for key, value in changes.items():
            setattr(e, key, value)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if save:
            self.structureChanged.emit()

    def retry(self, job_id: str):
        """Queue the job again; it continues from the segments it kept, if any (the bar shows them)."""
        e = self.entry(job_id)
        if e is not None:
            e.reset()
            try:
                e.done = kept_frames(e.job) or 0
            except SavsrError:      # an unreadable work folder: the render says so
                pass
            self.update(job_id)
