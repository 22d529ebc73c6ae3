"""Helpers for the app tests: tiny real clips and waiting for the window to open one."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

CLIP_SIZE = (96, 64)       # w, h
CLIP_FRAMES = 10


def _read_image(path: Path):
    import av
    with av.open(str(path)) as c:
        return next(c.decode(video=0))


def encode_clip(frames_dir: Path, out: Path, size=CLIP_SIZE, count=CLIP_FRAMES, fps=25) -> Path:
    """Encode ``count`` real frames from ``frames_dir`` (PNG/JPEG), resized to ``size``, as H.264."""
    import av
    files = sorted(p for p in frames_dir.iterdir() if p.suffix.lower() in (".png", ".jpg"))[:count]
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "12", "preset": "ultrafast"}
        for i, f in enumerate(files):
            frame = _read_image(f).reformat(width=size[0], height=size[1], format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def open_clip(qtbot, window, path):
    """Open ``path`` in ``window`` and wait until it is shown; returns its ClipInfo."""
    with qtbot.waitSignal(window.clipOpened, timeout=30000) as blocker:
        window.open_path(str(path))
    return blocker.args[0]
