"""The look: dark (default), light or the system's palette, on Qt's Fusion style, with qtawesome icons
for the standard ones (dialog buttons, message boxes) and sliders that jump to a click.

``apply_theme(app, name)`` can run again at any time (Settings); icons made before keep their
colour, so the window rebuilds nothing: the theme applies fully at the next start, the palette at once.
At start-up ``apply_theme(app)`` (no name) takes the saved theme, so the window's icons are drawn in it.
"""
from __future__ import annotations

import json

from ..qt import QApplication, QColor, QPalette, QProxyStyle, QStyle, QStyleFactory, Qt, icon

THEMES = {"dark": "Dark", "light": "Light", "system": "Follow the system"}
ACCENT = QColor(62, 142, 222)

DARK = {  # role: colour; a dark grey frame so the picture stands out
    "Window": (45, 45, 48), "WindowText": (222, 222, 222), "Base": (30, 30, 32), "AlternateBase": (40, 40, 43),
    "ToolTipBase": (58, 58, 62), "ToolTipText": (235, 235, 235), "PlaceholderText": (140, 140, 140),
    "Text": (222, 222, 222), "Button": (56, 56, 60), "ButtonText": (222, 222, 222), "BrightText": (255, 90, 90),
    "Light": (80, 80, 85), "Midlight": (66, 66, 70), "Mid": (110, 110, 116), "Dark": (28, 28, 30),
    "Shadow": (12, 12, 12), "Link": (110, 170, 240), "HighlightedText": (255, 255, 255),
}
DARK_DISABLED = {"WindowText": (120, 120, 120), "Text": (120, 120, 120), "ButtonText": (120, 120, 120),
                 "Highlight": (70, 70, 74)}

STANDARD_ICONS = {  # Qt's standard pixmaps (the old green/red dialog icons) -> qtawesome names
    "SP_DialogOkButton": "mdi6.check", "SP_DialogApplyButton": "mdi6.check", "SP_DialogYesButton": "mdi6.check",
    "SP_DialogCancelButton": "mdi6.close", "SP_DialogNoButton": "mdi6.close", "SP_DialogCloseButton": "mdi6.close",
    "SP_DialogSaveButton": "mdi6.content-save-outline", "SP_DialogDiscardButton": "mdi6.delete-outline",
    "SP_DialogResetButton": "mdi6.restore", "SP_DialogHelpButton": "mdi6.help-circle-outline",
    "SP_DialogOpenButton": "mdi6.folder-open-outline", "SP_MessageBoxInformation": "mdi6.information-outline",
    "SP_MessageBoxWarning": "mdi6.alert-outline", "SP_MessageBoxCritical": "mdi6.alert-circle-outline",
    "SP_MessageBoxQuestion": "mdi6.help-circle-outline",
}


class StudioStyle(QProxyStyle):
    """Fusion, plus: a left click on a slider's groove jumps there (not a page step), and the
    standard icons come from qtawesome in the palette's colours."""

    def __init__(self):
        super().__init__(QStyleFactory.create("Fusion"))
        self._names = {getattr(QStyle.StandardPixmap, k): v for k, v in STANDARD_ICONS.items()}

    def styleHint(self, hint, option=None, widget=None, returnData=None):
        if hint == QStyle.StyleHint.SH_Slider_AbsoluteSetButtons:
            return Qt.MouseButton.LeftButton.value
        if hint == QStyle.StyleHint.SH_Slider_PageSetButtons:
            return Qt.MouseButton.MiddleButton.value
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 1
        return super().styleHint(hint, option, widget, returnData)

    def standardIcon(self, standard_icon, option=None, widget=None):
        name = self._names.get(standard_icon)
        if name is not None:
            return icon(name)
        return super().standardIcon(standard_icon, option, widget)


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, rgb in DARK.items():
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(*rgb))
    pal.setColor(QPalette.ColorRole.Highlight, ACCENT)
    for role, rgb in DARK_DISABLED.items():
        pal.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(*rgb))
    return pal


def light_palette(style) -> QPalette:
    pal = style.standardPalette()
    pal.setColor(QPalette.ColorRole.Highlight, ACCENT)
    return pal


def system_is_dark(app) -> bool:
    hints = app.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def saved_theme() -> str:
    """The theme in the saved settings, read without touching the file (a damaged one: dark; the
    settings store reports it when the window loads it)."""
    from ..state.storage import config_dir
    try:
        doc = json.loads((config_dir() / "settings.json").read_text(encoding="utf-8"))
        return str(doc.get("theme", "dark")) if isinstance(doc, dict) else "dark"
    except (OSError, ValueError):
        return "dark"


def apply_theme(app: QApplication, name: str | None = None) -> str:
    """Give ``app`` the named theme (``None``: the saved one; unknown names: dark); returns the one applied."""
    name = saved_theme() if name is None else name
    name = name if name in THEMES else "dark"
    if not isinstance(app.style(), StudioStyle):
        app.setStyle(StudioStyle())
    dark = name == "dark" or (name == "system" and system_is_dark(app))
    app.setPalette(dark_palette() if dark else light_palette(app.style()))
    app.setProperty("savsrTheme", "dark" if dark else "light")
    return name


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return app is not None and app.palette().color(QPalette.ColorRole.Window).lightness() < 128
