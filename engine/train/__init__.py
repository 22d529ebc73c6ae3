"""Training and fine-tuning SAVSR (no Qt): data, loop, checkpoints, validation."""
from .config import STUDIO_CONFIG, TARGET_SCALES, VALIDATION_CLIPS, TrainConfig
from .data import BatchSampler, Clip, DataError, ScaleRange, find_clips, load_clip
from .loop import Trainer
from .run import export_model, open_run, train
from .validate import format_table, summary, validate

__all__ = ["STUDIO_CONFIG", "TARGET_SCALES", "VALIDATION_CLIPS", "TrainConfig", "BatchSampler", "Clip",
           "DataError", "ScaleRange", "find_clips", "load_clip", "Trainer", "export_model", "open_run",
           "train", "format_table", "summary", "validate"]
