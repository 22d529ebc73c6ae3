"""Shared test helpers: real test clips, app drivers, timelines. Imported as ``helpers.<module>``."""
