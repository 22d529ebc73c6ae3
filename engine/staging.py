"""Write under a temporary name next to the target, move into place only when complete."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Staging:
    """``with Staging(target) as stage:`` write ``stage.path``, then ``stage.commit()``.

    Leaving the block without :meth:`commit` (an error, a cancel, Ctrl+C) deletes the temporary
    file or folder, so nothing half-written is ever left at or next to ``target``.
    ``folder=True`` stages a directory (PNG sequences); the target must then be absent or empty.
    """

    def __init__(self, target: Path, folder: bool = False):
        self.target, self.folder = Path(target), folder
        parent = self.target.parent
        prefix = f".{self.target.name}."
        if folder:
            self.path = Path(tempfile.mkdtemp(prefix=prefix, suffix=".part", dir=parent))
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=parent)
            os.close(fd)
            self.path = Path(name)
        self.committed = False

    def __enter__(self) -> "Staging":
        return self

    def commit(self):
        mode = (0o777 if self.folder else 0o666) & ~_umask()
        os.chmod(self.path, mode)  # mkstemp/mkdtemp create private files; outputs are ordinary ones
        if self.folder and self.target.is_dir():
            self.target.rmdir()  # empty (checked by the plan); replaced by the finished folder
        os.replace(self.path, self.target)
        self.committed = True

    def discard(self):
        if self.committed:
            return
        if self.folder:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def __exit__(self, *exc):
        self.discard()
        return False
