"""SAVSR network modules."""
from .savsr import SAVSR, SAVSRConfig
from .upsampler import output_size

__all__ = ["SAVSR", "SAVSRConfig", "output_size"]
