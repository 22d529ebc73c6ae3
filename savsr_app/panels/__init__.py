"""The side panels of the main window: clip facts, scale, output (and the codec fields it shares with
the settings dialog)."""
