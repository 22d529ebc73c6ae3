"""Dialogs opened from the menus: settings, timeline import, about."""
