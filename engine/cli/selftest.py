"""``savsr-app --selftest``: prove an installation works, with no display and no network.

The self-test renders the first few frames of the bundled sample clip at an asymmetric scale
with the bundled model on the CPU (through the ``auto`` backend, so a frozen build proves its
compiled runtime works, or says why it fell back to torch; precision ``auto``, so it proves and names
the arithmetic this machine's renders use: ``on CPU · OpenVINO bf16``) into a temporary folder,
then checks what was written the way a user would: the file exists, it decodes, it has the
expected number of frames at the expected size, the picture is close to a bicubic upscale of the
input (so the weights are not garbage), and the audio is still there if the sample has audio. It prints exactly one
summary line, ``selftest: OK ...`` or ``selftest: FAILED ...``, and returns success.

The compiled graph is made afresh in a temporary cache, so a graph cached by an earlier run cannot
hide a broken exporter or runtime. The frozen app runs this from ``savsr-app --selftest`` and, as the
app does, traces that graph in a child process (so the self-test also proves a frozen build can
start one); in a checkout, ``python -m engine.cli.selftest`` does the same in-process. No Qt here.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FRAMES = 8
SCALE = (1.5, 1.25)          # (width factor, height factor): asymmetric on purpose
MIN_PSNR_VS_BICUBIC = 25.0   # dB; a working model stays close to bicubic, broken weights do not


class SelftestFailure(Exception):
    """One check failed; the message is the reason printed on the summary line."""


def run_selftest(log: Callable[[str], None] = print, *, model: str | Path | None = None,
                 sample: str | Path | None = None, frames: int = FRAMES,
                 scale: tuple[float, float] = SCALE) -> bool:
    """Render ``frames`` frames of the sample at ``scale`` (w, h) on the CPU and check the result.

    ``model`` and ``sample`` default to the bundled ones. Calls ``log`` once with the summary
    line and returns ``True`` if every check passed.
    """
    t0 = time.monotonic()
    try:
        summary = _run(model, sample, frames, scale)
    except SelftestFailure as exc:
        log(f"selftest: FAILED -- {exc}")
        return False
    except Exception as exc:  # any engine error, FFmpeg error or bug is a failed self-test, not a crash
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        log(f"selftest: FAILED -- {type(exc).__name__}" + (f": {text}" if text else ""))
        return False
    log(f"selftest: OK -- {summary} in {time.monotonic() - t0:.1f} s")
    return True


def _bundled(model, sample) -> tuple[Path, Path]:
    from ..resources import DEFAULT_MODEL_NAME, default_model_path, resources_dir, sample_clip_path
    if model is None:
        model = default_model_path()
        if model is None:
            raise SelftestFailure(f"bundled model missing: {resources_dir() / 'models' / DEFAULT_MODEL_NAME} "
                                  "not found (a broken installation or an incomplete build)")
    if sample is None:
        sample = sample_clip_path()
        if sample is None:
            raise SelftestFailure(f"bundled sample clip missing: no .mp4/.mkv/.mov in {resources_dir() / 'sample'} "
                                  "(a broken installation or an incomplete build)")
    model, sample = Path(model), Path(sample)
    for label, path in (("model", model), ("sample clip", sample)):
        if not path.is_file():
            raise SelftestFailure(f"{label} not found: {path}")
    return model, sample


def _run(model_path, sample_path, frames: int, scale: tuple[float, float]) -> str:
    from ..render.compute import computing_words
    from ..render.job import RenderJob
    from ..render.plan import plan
    from ..render.renderer import render
    from ..video import probe

    model_path, sample_path = _bundled(model_path, sample_path)
    info = probe(sample_path)
    count = min(frames, info.frame_count)
    end = info.frame_time(count) if count < info.frame_count else None
    with tempfile.TemporaryDirectory(prefix="savsr-selftest-") as tmp, _graph_cache(Path(tmp) / "cache"):
        job = RenderJob(input=str(sample_path), output=str(Path(tmp) / "selftest.mp4"), scale_w=scale[0],
                        scale_h=scale[1], end=end, codec="h264", preset="veryfast", crf=18,
                        model=str(model_path), device="cpu", precision="auto", backend=selftest_backend())
        expected = plan(job, info)
        result = render(job)
        checks = _check_output(result.output, info, expected, count)
    backend = _backend_used(result.notes)
    computed = next((computing_words(n) for n in result.notes if computing_words(n)), "CPU")
    w, h = info.display_size
    ow, oh = expected.display_out_size
    return (f"{count} frames of {sample_path.name} {w}x{h} -> {ow}x{oh} (x{scale[0]:g} w, x{scale[1]:g} h) "
            f"with {model_path.stem} on {computed} ({backend}); {checks}")


def selftest_backend() -> str:
    """The compiled backend ``auto`` would use on this CPU, named outright: a render of a few frames
    under ``auto`` keeps torch (a compile does not pay below ``AUTO_MIN_FRAMES``), and the self-test
    is there to prove that the installation's compiled backend works. ``torch`` when none is installed;
    a compiled backend that fails falls back to torch with a note, which the summary line shows."""
    from ..backends import AUTO_ORDER, installed_backends
    have = installed_backends()
    return next((name for name in AUTO_ORDER["cpu"] if name in have), "torch")


@contextlib.contextmanager
def _graph_cache(folder: Path):
    """Compiled graphs go to ``folder`` (and its children's, which inherit the variable) meanwhile."""
    before = os.environ.get("SAVSR_CACHE_DIR")
    os.environ["SAVSR_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SAVSR_CACHE_DIR"]
        else:
            os.environ["SAVSR_CACHE_DIR"] = before


def _backend_used(notes) -> str:
    """What the render's notes say about the backend: ``openvino`` (with ``, traced in a child
    process`` when it was), or ``torch`` and why."""
    for note in notes:
        if note.startswith("preparing the network"):
            backend = note[note.index("(") + 1:note.index(",", note.index("("))]
            # the cache is new: a graph "from the cache" was exported by auto's precision decision just
            # before, in a child process where exports are isolated
            from ..backends import accelerated
            child = "traced in a child process" in note or ("from the cache" in note and accelerated._isolated)
            return backend + (", traced in a child process" if child else "")
        if note.startswith("using the torch backend"):
            return note
    return "torch backend"


def _check_output(path: Path, src, expected, count: int) -> str:
    from ..video import probe
    if not path.is_file() or path.stat().st_size == 0:
        raise SelftestFailure(f"no output written at {path.name}")
    out = probe(path)
    if out.frame_count != count:
        raise SelftestFailure(f"output has {out.frame_count} frames, expected {count}")
    if out.display_size != expected.display_out_size:
        raise SelftestFailure(f"output is {out.display_size[0]}x{out.display_size[1]}, expected "
                              f"{expected.display_out_size[0]}x{expected.display_out_size[1]}")
    decoded = _decode_all(out)
    if decoded != count:
        raise SelftestFailure(f"only {decoded} of {count} output frames decode")
    psnr = _psnr_vs_bicubic(src, out)
    if not psnr >= MIN_PSNR_VS_BICUBIC:
        raise SelftestFailure(f"output frame 0 is {psnr:.1f} dB from a bicubic upscale of the input "
                              f"(expected at least {MIN_PSNR_VS_BICUBIC:g} dB): the model's output is wrong")
    parts = [f"{decoded}/{count} frames decode", f"{psnr:.1f} dB vs bicubic"]
    if src.audio:
        if not out.audio:
            raise SelftestFailure("the sample has audio but the output has none")
        if out.audio[0].codec != src.audio[0].codec:
            raise SelftestFailure(f"audio codec changed from {src.audio[0].codec} to {out.audio[0].codec}")
        parts.append(f"audio kept ({out.audio[0].codec})")
    else:
        parts.append("no audio in the sample")
    return ", ".join(parts)


def _decode_all(info) -> int:
    from ..video import iter_frames
    return sum(1 for _ in iter_frames(info))


def _psnr_vs_bicubic(src, out) -> float:
    """PSNR (dB) of the output's first frame against a bicubic upscale of the input's first frame."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from ..video import read_frames
    [lr] = read_frames(src, [0])
    [sr] = read_frames(out, [0])
    if not np.isfinite(sr).all():
        return float("nan")
    x = torch.from_numpy(lr).permute(2, 0, 1)[None]
    ref = F.interpolate(x, size=sr.shape[:2], mode="bicubic", align_corners=False).clamp(0, 1)[0]
    mse = float(((ref.permute(1, 2, 0).numpy() - sr) ** 2).mean())
    return 99.0 if mse == 0 else 10 * math.log10(1.0 / mse)


def main(argv: list[str] | None = None) -> int:
    return 0 if run_selftest() else 1


if __name__ == "__main__":
    sys.exit(main())
