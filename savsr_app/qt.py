"""The one place the app imports Qt from (PySide6 and qtawesome): pin and adapt here."""
# ruff: noqa: F401
import qtawesome as qta
from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QEvent,
    QEventLoop,
    QMimeData,
    QModelIndex,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QStandardPaths,
    Qt,
    QThread,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QProgressDialog,
    QProxyStyle,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QStyle,
    QStyledItemDelegate,
    QStyleFactory,
    QStyleOptionProgressBar,
    QStyleOptionSlider,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


def push_button(icon_name: str, text: str, tip: str, slot=None) -> QPushButton:
    """A push button with a themed icon, a tooltip and, if given, what a click does."""
    button = QPushButton(icon(icon_name), text)
    button.setToolTip(tip)
    if slot is not None:
        button.clicked.connect(slot)
    return button


def icon(name: str, **options) -> QIcon:
    """A qtawesome icon coloured from the current palette, so it follows dark and light themes."""
    app = QApplication.instance()
    if app is not None and "color" not in options:
        pal = app.palette()
        options["color"] = pal.color(QPalette.ColorRole.WindowText)
        options.setdefault("color_disabled", pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText))
    return qta.icon(name, **options)
