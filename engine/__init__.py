"""SAVSR Studio engine: network, checkpoints, video I/O, rendering and training. No Qt here."""
__version__ = "0.1.0"

import os as _os

from . import privacy  # noqa: F401  (first: no dependency may load its telemetry)


def _wait_passively_when_busy(environ=_os.environ) -> bool:
    """On a busy CPU, torch's OpenMP threads wait for each other asleep instead of spinning.

    Torch's CPU threads (GNU OpenMP) spin for a while at the end of every parallel step, waiting for
    the others. When other processes already keep the cores busy, the thread being waited for is often
    not running, and the spinning one takes the core it needs: on a 2-core CPU with a load average of
    13-17, a frame took 20 s and 6 CPU seconds instead of 0.6-1.4 s and 0.55 CPU seconds with
    ``OMP_WAIT_POLICY=PASSIVE`` (the same pixels, bit for bit). So when the 1-minute load average is
    at least half the cores as this process starts (before torch loads OpenMP, which reads it once),
    the policy is passive; an idle machine keeps OpenMP's default, and a policy or spin count the user
    set is left alone. Worker processes inherit the choice. Returns whether it set the policy."""
    if "OMP_WAIT_POLICY" in environ or "GOMP_SPINCOUNT" in environ:
        return False
    try:
        busy = _os.getloadavg()[0] >= (_os.cpu_count() or 1) / 2
    except (AttributeError, OSError):     # no load average (Windows)
        return False
    if busy:
        environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return busy


_wait_passively_when_busy()

from .arch import SAVSR, SAVSRConfig, output_size  # noqa: E402  (after the policy: torch loads OpenMP)
from .backends import accelerate  # noqa: E402
from .models.checkpoint import CheckpointError, load_model, read_checkpoint, save_model  # noqa: E402

__all__ = ["__version__", "SAVSR", "SAVSRConfig", "output_size", "CheckpointError", "accelerate", "load_model",
           "read_checkpoint", "save_model"]
