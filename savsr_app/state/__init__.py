"""The window's model: application state, settings, stored files, estimates and costs (no widgets)."""
