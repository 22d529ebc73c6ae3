"""The window's actions, menus and toolbar (names, icons, shortcuts and tooltips in one place)."""
from __future__ import annotations

from pathlib import Path

from ..dialogs.about import show_about
from ..dialogs.timeline_dialog import open_timeline
from ..qt import QAction, QKeySequence, QMenu, Qt, QToolBar, icon


def make_action(window, name: str, text: str, icon_name: str | None, slot, shortcut=None, tip: str = "",
                checkable: bool = False) -> QAction:
    a = QAction(icon(icon_name) if icon_name else None, text, window) if icon_name else QAction(text, window)
    a.setObjectName(name)
    if shortcut:
        keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
        a.setShortcuts([QKeySequence(k) for k in keys])
    label = tip or text.replace("…", "")
    first = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    a.setToolTip(f"{label} ({first})" if first else label)
    a.setStatusTip(label)
    a.setCheckable(checkable)
    a.triggered.connect(slot)
    window.addAction(a)
    return a


def build(window) -> dict[str, QAction]:
    """Create every action of ``window`` (a MainWindow), fill its menus and toolbar."""
    w, area = window, window.preview
    A = {
        "open": make_action(w, "actionOpen", "Open…", "mdi6.folder-open-outline", w.open_dialog,
                            QKeySequence.StandardKey.Open, "Open a video clip"),
        "open_timeline": make_action(w, "actionOpenTimeline", "Open timeline…", "mdi6.filmstrip",
                                     lambda: open_timeline(w), "Ctrl+Shift+O",
                                     "Queue the ranges an edit uses (OpenTimelineIO: .otio, EDL, FCP XML)"),
        "export_comparison": make_action(w, "actionExportComparison", "Export comparison…", "mdi6.image-move",
                                         w.export_comparison, "Ctrl+E",
                                         "Save the current frame before and after as a PNG at output size"),
        "settings": make_action(w, "actionSettings", "Settings…", "mdi6.cog-outline", w.open_settings,
                                QKeySequence.StandardKey.Preferences if not QKeySequence(
                                    QKeySequence.StandardKey.Preferences).isEmpty() else "Ctrl+,"),
        "quit": make_action(w, "actionQuit", "Quit", "mdi6.exit-to-app", w.close, QKeySequence.StandardKey.Quit),
        "add": make_action(w, "actionAddToQueue", "Add to queue", "mdi6.playlist-plus", w.add_to_queue,
                           ["Ctrl+Return", "Ctrl+Enter"], "Freeze the current settings into a render job"),
        "add_all": make_action(w, "actionAddAllToQueue", "Add all to queue", "mdi6.playlist-check",
                               w.add_all_to_queue, ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
                               "Queue every clip opened or dropped together with the current settings, "
                               "each at its own size"),
        "fit": make_action(w, "actionFit", "Fit", "mdi6.fit-to-screen-outline", area.viewport.fit, "Ctrl+0",
                           "Fit the frame in the pane"),
        "actual": make_action(w, "actionActualSize", "100%", "mdi6.magnify-scan", area.viewport.actual_size,
                              "Ctrl+1", "One output pixel per screen pixel"),
        "zoom_in": make_action(w, "actionZoomIn", "Zoom in", "mdi6.magnify-plus-outline",
                               lambda: area.zoom_by(1.25), ["Ctrl++", "Ctrl+="]),
        "zoom_out": make_action(w, "actionZoomOut", "Zoom out", "mdi6.magnify-minus-outline",
                                lambda: area.zoom_by(1 / 1.25), "Ctrl+-"),
        "side": make_action(w, "actionSideBySide", "Side by side", "mdi6.view-split-vertical",
                            lambda: area.set_mode("side"), "Ctrl+2", "Before and after in two panes"),
        "split": make_action(w, "actionSplit", "Split view", "mdi6.compare-horizontal",
                             lambda: area.set_mode("split"), "Ctrl+3", "One pane with a draggable split line"),
        "prev": make_action(w, "actionPrevFrame", "Previous frame", None, lambda: w.transport.step(-1), "Left"),
        "next": make_action(w, "actionNextFrame", "Next frame", None, lambda: w.transport.step(1), "Right"),
        "first": make_action(w, "actionFirstFrame", "First frame", None, lambda: w.transport.set_frame(0), "Home"),
        "last": make_action(w, "actionLastFrame", "Last frame", None,
                            lambda: w.transport.set_frame(w.transport.slider.maximum()), "End"),
        "mark_in": make_action(w, "actionMarkIn", "Set in point", "mdi6.contain-start", w.transport.mark_in, "I"),
        "mark_out": make_action(w, "actionMarkOut", "Set out point", "mdi6.contain-end", w.transport.mark_out, "O"),
        "clear_range": make_action(w, "actionClearRange", "Render whole clip", "mdi6.arrow-expand-horizontal",
                                   w.transport.clear_range, "Alt+X"),
        **_playback_actions(w, area),
    }
    for name in ("prev", "next", "first", "last", "mark_in", "mark_out", "play", "reverse", "pause", "forward",
                 "flip"):
        A[name].setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    A["flip"].setAutoRepeat(False)      # held past the key-repeat delay it stays one press (hold to compare)
    _menus(w, A)
    _toolbar(w, A)
    return A


def _playback_actions(w, area) -> dict:
    from ..preview.wiring import cache_preview_range
    t = w.transport
    return {
        "play": make_action(w, "actionPlay", "Play / pause", "mdi6.play-pause", t.toggle_play, "Space"),
        "reverse": make_action(w, "actionReverse", "Play backwards", None, t.backward, "J",
                               "Play backwards; again for faster"),
        "pause": make_action(w, "actionPause", "Pause", None, t.pause, "K"),
        "forward": make_action(w, "actionForward", "Play forwards", None, t.forward, "L",
                               "Play forwards; again for faster"),
        "flip": make_action(w, "actionFlip", "Flip before/after", "mdi6.flip-horizontal", area.flip_pressed, "\\",
                            "Swap before and after; hold to compare"),
        "zoom200": make_action(w, "actionZoom200", "200%", None, lambda: area.zoom_to(2), "Alt+2"),
        "zoom400": make_action(w, "actionZoom400", "400%", None, lambda: area.zoom_to(4), "Alt+4"),
        "cache_range": make_action(w, "actionCacheRange", "Cache preview range", "mdi6.cached",
                                   lambda: cache_preview_range(w.controller, t), "Alt+R",
                                   "Compute SAVSR for the in/out range (or the next 2 s) so it plays at full speed"),
    }


def _menus(w, A):
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(A["open"])
    w.recent_menu = QMenu("Open &recent", w)
    w.recent_menu.setIcon(icon("mdi6.history"))
    file_menu.addMenu(w.recent_menu)
    file_menu.addAction(A["open_timeline"])
    file_menu.addAction(A["export_comparison"])
    w.preview.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)     # right-click on the preview
    w.preview.addAction(A["export_comparison"])
    file_menu.addSeparator()
    file_menu.addAction(A["settings"])
    file_menu.addSeparator()
    file_menu.addAction(A["quit"])
    view = bar.addMenu("&View")
    for key in ("side", "split", "flip", None, "fit", "actual", "zoom200", "zoom400", "zoom_in", "zoom_out", None,
                "play", "reverse", "pause", "forward", "prev", "next", "first", "last", None, "cache_range"):
        view.addSeparator() if key is None else view.addAction(A[key])
    view.addSeparator()
    view.addAction(w.queue_dock.toggleViewAction())
    view.addAction(w.log_dock.toggleViewAction())
    view.addAction(w.advanced_dock.toggleViewAction())
    queue = bar.addMenu("&Queue")
    for key in ("add", "add_all", None, "mark_in", "mark_out", "clear_range"):
        queue.addSeparator() if key is None else queue.addAction(A[key])
    queue.addSeparator()
    panel = w.queue_panel
    for a in (panel.run_action, panel.pause_action, panel.cancel_action, panel.retry_action, panel.remove_action):
        queue.addAction(a)
    w.help_menu = bar.addMenu("&Help")
    w.help_menu.addAction(w.log_dock.toggleViewAction())
    w.help_menu.addAction(make_action(w, "actionAbout", "About SAVSR Studio…", "mdi6.information-outline",
                                      lambda: show_about(w)))


def _toolbar(w, A):
    tb = QToolBar("Main toolbar", w)
    tb.setObjectName("mainToolbar")
    tb.setMovable(False)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    tb.addAction(A["open"])
    tb.addAction(A["add"])
    tb.addSeparator()
    tb.addAction(A["settings"])
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    w.toolbar = tb


def fill_recent(menu: QMenu, paths: list[str], open_path, clear) -> None:
    """``menu`` (Open recent) refilled: one entry per path, ``open_path(path)`` when chosen, and
    ``clear()`` behind "Clear list"; a disabled "No recent clips" when there are none."""
    menu.clear()
    for path in paths:
        menu.addAction(Path(path).name, lambda p=path: open_path(p)).setToolTip(path)
    if paths:
        menu.addSeparator()
        menu.addAction("Clear list", clear)
    else:
        menu.addAction("No recent clips").setEnabled(False)
