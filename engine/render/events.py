"""What a render reports besides its frames' progress: events, dicts with a ``kind`` and the ``text`` a
log line shows, so a caller acts on the kind and its fields instead of on the words of a message.

- ``note``: anything worth a line in the log (``text`` only);
- ``computing``: what computes the render, settled before its first frame (``words``: ``CPU · OpenVINO
  bf16``, which the app's queue row shows);
- ``worker_died``: a render worker process ended unexpectedly; the frames ``first`` .. ``stop - 1`` it was
  rendering are rendered again.

Inside a render, worker processes send their own events to the parent the same way: ``frame`` (one
frame of ``segment`` finished) and ``note``.
"""
from __future__ import annotations

NOTE, COMPUTING, WORKER_DIED, FRAME = "note", "computing", "worker_died", "frame"


def event(kind: str, text: str = "", **fields) -> dict:
    """``{"kind": kind, "text": text, **fields}``."""
    return {"kind": kind, "text": text, **fields}
