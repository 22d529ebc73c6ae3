"""Helpers for the app tests: tiny real clips, waiting for the window to open one, the preview panes
as pixels, a fine-tune set up to be short."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

CLIP_SIZE = (96, 64)       # w, h
CLIP_FRAMES = 10
RENDER_TIMEOUT = 180_000
SEGMENT = 3                # frames per segment where a test asks for small ones (the default is ~2 s of video)


def _read_image(path: Path):
    import av
    with av.open(str(path)) as c:
        return next(c.decode(video=0))


def kept_segments(output) -> list[dict]:
    """The finished segments recorded in ``output``'s work folder."""
    from engine.render.workdir import WorkFolder
    manifest = WorkFolder(Path(output)).read()
    return manifest["segments"] if manifest else []


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


def panes(window):
    """``(before, after)``: the preview's bicubic and SAVSR panes as the user sees them, uint8 RGB;
    the SAVSR pane assembled from its tiles (zeros where none has arrived)."""
    import numpy as np

    from savsr_app.preview.images import rgb_from_qimage
    before = rgb_from_qimage(window.preview.images.before)
    after = np.zeros_like(before)
    for image, rect in window.preview.images.patches:
        after[rect.y():rect.y() + rect.height(), rect.x():rect.x() + rect.width()] = rgb_from_qimage(image)
    return before, after


def tiny_recipe(panel, steps: int):
    """Small patches and batches and a budget of ``steps`` in a fine-tune panel's form."""
    f = panel.form
    f.expert_button.setChecked(True)
    f.patch.setValue(12)
    f.batch.setValue(2)
    f.budget_kind.setCurrentIndex(f.budget_kind.findData("steps"))
    f.steps.setValue(steps)


def add_footage(qtbot, panel, path):
    """Add ``path`` to a fine-tune panel's footage and wait until it is read."""
    panel.footage.add_paths([str(path)])
    qtbot.waitUntil(lambda: not panel.footage.pending, timeout=30000)
