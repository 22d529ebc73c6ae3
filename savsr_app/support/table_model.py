"""The shared part of the app's read-mostly table models: fixed columns over a Python list."""
from __future__ import annotations

from ..qt import QAbstractTableModel, QModelIndex, Qt

ROOT = QModelIndex()    # the invisible root: the parent of every row (read only, so one is shared)


class ColumnTableModel(QAbstractTableModel):
    """Subclasses set ``columns`` (header titles) and return their row list from ``row_items()``."""

    columns: tuple[str, ...] = ()

    def row_items(self) -> list:
        raise NotImplementedError

    def rowCount(self, parent=ROOT):
        return 0 if parent.isValid() else len(self.row_items())

    def columnCount(self, parent=ROOT):
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None
