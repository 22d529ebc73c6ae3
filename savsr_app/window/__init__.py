"""The main window and what frames it: menus, layout, status bar, docks, notifications, theme, closing."""
