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


SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def folder_refusal(folder, exc: OSError, doing: str = "write in") -> str:
    """Why files cannot be written in (``doing``: or created as) ``folder``, in one sentence the user
    can act on: a system folder, a read-only disk, no permission, a full disk, else the system's words."""
    import errno
    import os
    where = os.path.abspath(str(folder))
    top = next((s for s in SYSTEM_FOLDERS if where == s or where.startswith(s + "/")), None)
    if top is not None:
        return (f"cannot {doing} {folder}: {top} is a system folder that does not hold files; "
                "choose another output folder")
    if exc.errno == errno.EROFS:
        return f"cannot {doing} {folder}: it is on a read-only disk; choose another output folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot {doing} {folder}: you have no permission to write there; choose another output folder"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot {doing} {folder}: its disk is full"
    return f"cannot {doing} {folder}: {exc.strerror or exc}"
