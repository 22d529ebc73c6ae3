"""View > Advanced and View > Log open their panel in front of the queue, tall enough to use, at 1280x800."""
from __future__ import annotations

from savsr_app.qt import QApplication


def in_front(dock) -> bool:
    """Whether the user sees ``dock``'s content (not a tab behind another dock)."""
    return not dock.widget().visibleRegion().isEmpty()


def fully_shown(widget) -> bool:
    return widget.visibleRegion().boundingRect() == widget.rect()


def view_action(window, dock):
    """``dock``'s entry in the View menu, as the user chooses it."""
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    action = dock.toggleViewAction()
    assert action in view.actions()
    return action


def test_view_advanced_and_log_open_in_front_with_their_buttons_shown(qtbot, window):
    window.resize(1280, 800)
    QApplication.processEvents()
    assert in_front(window.queue_dock) and not window.advanced_dock.isVisible()
    view_action(window, window.advanced_dock).trigger()
    QApplication.processEvents()
    assert in_front(window.advanced_dock) and not in_front(window.queue_dock)
    assert fully_shown(window.finetune_panel.start_button)          # Start is not below the fold
    assert window.preview.height() >= 200                          # the preview stays usable
    view_action(window, window.log_dock).trigger()
    QApplication.processEvents()
    assert in_front(window.log_dock) and not in_front(window.advanced_dock)
    assert window.log_dock.widget().height() >= 150
    view_action(window, window.advanced_dock).trigger()             # hidden, then shown again: in front again
    view_action(window, window.advanced_dock).trigger()
    QApplication.processEvents()
    assert in_front(window.advanced_dock) and fully_shown(window.finetune_panel.start_button)
