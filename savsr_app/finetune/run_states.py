"""What the advanced panel's fine-tune is doing, for the panel and for what closing the window decides.

``IDLE``: nothing runs; ``WAITING``: started, waiting for a render on the same device to finish;
``RUNNING``: training; ``STOPPING``: Stop was pressed, the checkpoint is being saved.
"""
from __future__ import annotations

IDLE, WAITING, RUNNING, STOPPING = "idle", "waiting", "running", "stopping"
