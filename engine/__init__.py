"""SAVSR Studio engine: network, checkpoints, video I/O, rendering and training. No Qt here."""
__version__ = "0.1.0"

from . import privacy  # noqa: F401  (first: no dependency may load its telemetry)
from .arch import SAVSR, SAVSRConfig, output_size
from .backends import accelerate
from .models.checkpoint import CheckpointError, load_model, read_checkpoint, save_model

__all__ = ["__version__", "SAVSR", "SAVSRConfig", "output_size", "CheckpointError", "accelerate", "load_model",
           "read_checkpoint", "save_model"]
