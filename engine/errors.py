"""The engine's user-facing error: its message is what the user reads (CLI stderr, GUI notification)."""


class SavsrError(Exception):
    """A problem the user can act on; ``str(err)`` is one clear sentence."""
