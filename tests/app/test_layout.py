"""The window fits 1280x800 and 1920x1080 with every dock open; the scrubber jumps to a click;
xcb libraries are named."""
from __future__ import annotations

import pytest

from savsr_app.qt import QApplication, QLineEdit, QPoint, QSlider, QStyle, Qt, QWidget
from savsr_app.support.platform_check import XCB_LIBRARIES, xcb_problem
from savsr_app.window.theme import apply_theme


def squeezed(window) -> list[str]:
    """Visible widgets narrower than their minimum size hint (outside scroll areas' hidden parts)."""
    out = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.width() <= 0 or w.minimumSizeHint().width() <= 0:
            continue
        if isinstance(w.parentWidget(), QLineEdit):     # Qt's own clear button, sized by the line edit
            continue
        if w.width() < w.minimumSizeHint().width() and w.minimumWidth() == 0 and not w.sizePolicy().horizontalPolicy() \
                == w.sizePolicy().Policy.Ignored:
            parent = w.parentWidget()
            out.append(f"{type(w).__name__} {w.objectName() or w.toolTip()[:30]} in {type(parent).__name__} "
                       f"{parent.objectName()}: {w.width()} < {w.minimumSizeHint().width()}")
    return out


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("docks", [("advanced_dock",), ("queue_dock", "log_dock", "advanced_dock")])
def test_the_window_fits_with_docks_open(qtbot, window, size, docks):
    window.resize(*size)
    for name in docks:
        dock = getattr(window, name)
        dock.show()
        dock.raise_()
        qtbot.waitUntil(dock.isVisible)
    QApplication.processEvents()
    assert window.size().width() == size[0] and window.size().height() <= size[1]
    assert window.preview.width() >= window.width() / 2
    assert window.preview.height() >= 200
    assert squeezed(window) == []


def test_slider_click_jumps_to_the_click(qtbot):
    apply_theme(QApplication.instance())
    hint = QApplication.style().styleHint(QStyle.StyleHint.SH_Slider_AbsoluteSetButtons)
    assert hint == Qt.MouseButton.LeftButton.value
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 1000)
    slider.resize(400, 24)
    qtbot.addWidget(slider)
    slider.show()
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(300, 12))
    assert abs(slider.value() - 750) < 40


def test_a_missing_xcb_library_is_one_sentence():
    def load(name):
        if name == "libxcb-cursor.so.0":
            raise OSError(name)
    text = xcb_problem({"DISPLAY": ":0"}, load)
    assert text.count(". ") == 0 and "libxcb-cursor.so.0" in text and "apt install libxcb-cursor0" in text
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, load) is None
    assert set(XCB_LIBRARIES.values()) >= {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"}


def test_the_empty_window_invites_an_action(qtbot, window):
    from engine.resources import sample_clip_path
    from savsr_app.qt import QPushButton
    window.resize(1280, 800)
    screen = window.start_screen
    qtbot.waitUntil(screen.isVisible)
    assert screen.geometry() == window.preview.rect()
    assert screen.findChild(QPushButton, "startOpen").isVisible()
    if sample_clip_path() is None:
        return
    with qtbot.waitSignal(window.clipOpened, timeout=60000):
        qtbot.mouseClick(screen.findChild(QPushButton, "startSample"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.isVisible())


def test_the_saved_theme_applies_before_the_window_is_built(qtbot, app_home):
    from savsr_app.state.settings import AppSettings, SettingsStore
    from savsr_app.window.theme import is_dark
    app = QApplication.instance()
    SettingsStore().save(AppSettings(theme="light"))
    try:
        assert apply_theme(app) == "light" and not is_dark(app)
    finally:
        apply_theme(app, "dark")
    assert is_dark(app)
