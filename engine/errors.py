"""The engine's user-facing error: its message is what the user reads (CLI stderr, GUI notification)."""


class SavsrError(Exception):
    """A problem the user can act on; ``str(err)`` is one clear sentence."""


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP asked the process to stop: unwinds like Ctrl+C; the exit status is ``128 + signum``."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum
