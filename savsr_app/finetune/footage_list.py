"""The fine-tuning footage list: clips and frame folders with their frame counts and sizes.

Add with buttons or by dropping files and folders on the list; "Use open clip" adds the clip
the main window shows. Frame counts come from a background probe, never the UI thread.
"""
from __future__ import annotations

from pathlib import Path

from ..qt import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QModelIndex,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
    push_button,
)
from ..support.table_model import ColumnTableModel
from ..support.tasks import Background

VIDEO_FILTER = "Video (*.mp4 *.mov *.mkv *.m4v *.avi *.webm *.mpg *.mpeg *.ts *.y4m);;All files (*)"
COLUMNS = ("Footage", "Frames", "Size")


class FootageModel(ColumnTableModel):
    """Rows ``{'path', 'facts' (FootageFacts or None while probing), 'error'}``."""

    columns = COLUMNS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def row_items(self) -> list:
        return self.rows

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        facts, col = row["facts"], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return Path(row["path"]).name
            if row["error"]:
                return "unusable" if col == 1 else ""
            if facts is None:
                return "…"
            return str(facts.frames) if col == 1 else facts.size_text
        if role == Qt.ItemDataRole.ToolTipRole:
            return row["error"] or row["path"]
        if role == Qt.ItemDataRole.ForegroundRole and row["error"]:
            return Qt.GlobalColor.red
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def add(self, path: str) -> bool:
        path = str(Path(path).resolve())
        if any(r["path"] == path for r in self.rows):
            return False
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append({"path": path, "facts": None, "error": ""})
        self.endInsertRows()
        return True

    def set_result(self, path: str, facts=None, error: str = ""):
        for i, r in enumerate(self.rows):
            if r["path"] == path:
                r["facts"], r["error"] = facts, error
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def remove_rows(self, rows: list[int]):
        for i in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), i, i)
            del self.rows[i]
            self.endRemoveRows()

    @property
    def pending(self) -> bool:
        return any(r["facts"] is None and not r["error"] for r in self.rows)


class _DropTable(QTableView):
    dropped = Signal(list)

    def __init__(self):
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def _local(self, event) -> list[str]:
        return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]

    def dragEnterEvent(self, event):
        if self._local(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        if self._local(event):
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = self._local(event)
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)


class FootageList(QWidget):
    changed = Signal()       # rows added, removed or probed

    def __init__(self, background: Background | None = None, open_clip=None, parent=None):
        """``open_clip()`` returns the path of the clip open in the main window, or ``None``."""
        super().__init__(parent)
        self.background = background or Background(self)
        self.open_clip = open_clip or (lambda: None)
        self.model = FootageModel(self)
        self.table = _DropTable()
        self.table.setObjectName("footageTable")
        self.table.setModel(self.model)
        self.table.setToolTip("Clips and frame folders to fine-tune on (drop files or folders here).\n"
                              "The last part of each clip is held out: it is only used to measure the result.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(170)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.dropped.connect(self.add_paths)
        self.add_files_button = push_button("mdi6.filmstrip", "Clips…", "Add video clips", self._pick_files)
        self.add_folder_button = push_button("mdi6.folder-multiple-image", "Frames…",
                                             "Add a folder of image frames (one clip, frames in name order)",
                                             self._pick_folder)
        self.use_open_button = push_button("mdi6.movie-open-outline", "Open clip",
                                           "Add the clip that is open in the main window", self.add_open_clip)
        self.remove_button = push_button("mdi6.minus", "",
                                         "Remove the selected footage from the list (the files are not touched)",
                                         self.remove_selected)
        buttons = QHBoxLayout()
        for b in (self.add_files_button, self.add_folder_button, self.use_open_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)

    def add_paths(self, paths):
        from engine.train.finetune_checks import footage_facts
        for p in paths:
            if self.model.add(p):
                path = str(Path(p).resolve())
                self.background.call(footage_facts, path,
                                     done=lambda facts, q=path: self._probed(q, facts),
                                     failed=lambda msg, q=path: self._probed(q, None, msg))
        self.changed.emit()

    def _probed(self, path, facts, error=""):
        self.model.set_result(path, facts, error)
        self.changed.emit()

    def add_open_clip(self):
        path = self.open_clip()
        if path:
            self.add_paths([path])

    def remove_selected(self):
        self.model.remove_rows([i.row() for i in self.table.selectionModel().selectedRows()])
        self.changed.emit()

    def set_paths(self, paths):
        self.model.remove_rows(list(range(len(self.model.rows))))
        self.add_paths(paths)

    def _pick_files(self):
        files, _ = QFileDialog.getOpenFileNames(self, "Add clips for fine-tuning", "", VIDEO_FILTER)
        self.add_paths(files)

    def _pick_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of frames")
        if folder:
            self.add_paths([folder])

    # ---- what the panel reads ----------------------------------------------------------------
    def paths(self) -> list[str]:
        return [r["path"] for r in self.model.rows]

    def facts(self) -> list:
        return [r["facts"] for r in self.model.rows if r["facts"] is not None]

    def errors(self) -> list[str]:
        return [f"{Path(r['path']).name}: {r['error']}" for r in self.model.rows if r["error"]]

    @property
    def pending(self) -> bool:
        return self.model.pending
