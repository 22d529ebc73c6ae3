"""The list of fine-tuned models: what each was made from and how much it helped.

Double-click a name to rename the model (the file is renamed); Delete removes the file after
asking. Only files in the library folder are ever touched (see :mod:`engine.train.finetune_store`).
"""
from __future__ import annotations

from engine.errors import SavsrError
from engine.train.finetune_store import ModelLibrary

from ..qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
    push_button,
)
from ..support.table_model import ColumnTableModel

COLUMNS = ("Name", "Gain", "Base", "Footage", "Scales", "Steps", "Date")


def scales_text(scales) -> str:
    """``[[s_h, s_w], ...]`` as the app writes factors: ``×2`` or ``W×H`` (width first)."""
    out = []
    for s in scales or []:
        h, w = float(s[0]), float(s[1])
        out.append(f"×{w:g}" if h == w else f"{w:g}×{h:g}")
    return ", ".join(out)


def gain_text(meta: dict) -> str:
    """The gain the verdict read (``+0.12 dB``, ``-0.03 dB: did not help``); older files: the held-out gain."""
    verdict = meta.get("verdict") or {}
    if verdict.get("gain_db") is not None:
        return f"{verdict['gain_db']:+.2f} dB" + ("" if verdict.get("helped") else ": did not help")
    b, a = (meta.get("psnr_before") or {}).get("psnr"), (meta.get("psnr_after") or {}).get("psnr")
    return "" if a is None or b is None else f"{a - b:+.2f} dB"


class LibraryModel(ColumnTableModel):

    columns = COLUMNS
    renamed = Signal(str, str)      # old path, new path
    renameFailed = Signal(str)

    def __init__(self, library: ModelLibrary, parent=None):
        super().__init__(parent)
        self.library = library
        self.items = []

    def refresh(self):
        self.beginResetModel()
        self.items = self.library.models()
        self.endResetModel()

    def row_items(self) -> list:
        return self.items

    def flags(self, index):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == 0 else base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        item = self.items[index.row()]
        m, col = item.meta, index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return [item.name, gain_text(m), m.get("base_model", ""), ", ".join(m.get("footage", [])),
                    scales_text(m.get("scales")), str(m.get("steps", "")),
                    m.get("date", "")[:16].replace("T", " ")][col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if "error" in m:
                return m["error"]
            b, a = m.get("psnr_before") or {}, m.get("psnr_after") or {}
            lines = [str(item.path), f"Base model: {m.get('base_model', '?')}",
                     f"Footage: {', '.join(m.get('footage', []))}", f"Scales: {scales_text(m.get('scales'))}",
                     f"Steps: {m.get('steps', '?')}"]
            if a and b:
                lines.append(f"Held-out PSNR: {b['psnr']:.2f} dB before, {a['psnr']:.2f} dB after "
                             f"(bicubic {a.get('bicubic', float('nan')):.2f} dB)")
            return "\n".join(lines)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or index.column() != 0 or not str(value).strip():
            return False
        item = self.items[index.row()]
        try:
            new = self.library.rename(item.path, str(value))
        except (SavsrError, OSError) as exc:
            self.renameFailed.emit(str(exc))
            return False
        old = str(item.path)
        item.path = new
        self.dataChanged.emit(index, index)
        if str(new) != old:
            self.renamed.emit(old, str(new))
        return True


class ModelLibraryView(QWidget):
    useRequested = Signal(str)          # model path
    renamed = Signal(str, str)          # old path, new path
    deleted = Signal(str)               # path
    message = Signal(str)

    def __init__(self, library: ModelLibrary, confirm=None, parent=None):
        """``confirm(text) -> bool`` asks before deleting (default: a message box)."""
        super().__init__(parent)
        self.library = library
        self.confirm = confirm or self._ask
        self.model = LibraryModel(library, self)
        self.model.renamed.connect(self.renamed)
        self.model.renameFailed.connect(self.message)
        self.table = QTableView()
        self.table.setObjectName("modelLibraryTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(90)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("Your fine-tuned models. Double-click a name to rename it.")
        self.use_button = push_button("mdi6.check-circle-outline", "Use",
                                      "Make the selected model the active one for previews and new queue jobs",
                                      self._use)
        self.delete_button = push_button("mdi6.delete-outline", "Delete",
                                         "Delete the selected fine-tuned model file", self._delete)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.use_button)
        row.addWidget(self.delete_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        self.refresh()

    def refresh(self):
        self.model.refresh()
        self.table.resizeColumnsToContents()

    def paths(self) -> list[str]:
        return [str(i.path) for i in self.model.items]

    def select(self, path: str):
        for r, item in enumerate(self.model.items):
            if str(item.path) == str(path):
                self.table.selectRow(r)

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.items[rows[0].row()] if rows else None

    def _use(self):
        item = self.selected()
        if item is not None:
            self.useRequested.emit(str(item.path))

    def _delete(self):
        item = self.selected()
        if item is None or not self.confirm(f"Delete the fine-tuned model “{item.name}”?\n\n{item.path}"):
            return
        try:
            self.library.delete(item.path)
        except (SavsrError, OSError) as exc:
            self.message.emit(str(exc))
            return
        self.refresh()
        self.deleted.emit(str(item.path))

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete model", text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes
