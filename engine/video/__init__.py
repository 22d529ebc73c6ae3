"""Video in and out: probing, decoding to RGB, encoding, stream copy. No Qt here."""
from .decode import DecodedFrame, DecodeError, iter_frames, read_frames, to_rgb
from .probe import AudioInfo, ClipInfo, InputError, SubtitleInfo, probe

__all__ = ["AudioInfo", "ClipInfo", "DecodedFrame", "DecodeError", "InputError", "SubtitleInfo",
           "iter_frames", "probe", "read_frames", "to_rgb"]
