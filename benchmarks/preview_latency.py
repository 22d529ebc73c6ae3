"""Preview latency: time from the last change to the SAVSR pane, for an 800x450 viewport at 2x.

Drives the app's own preview path (PreviewController -> worker thread -> engine.preview) headless:
for each trial it changes the frame (the "last change"), and times until the SAVSR region for the
800x450 viewport arrives on the UI thread. That includes the ~250 ms debounce, decoding the 7-frame
window (cached after the first visit), inference and the hand-over to the UI.

    .venv/bin/python benchmarks/preview_latency.py [--clip FILE] [--model FILE] [--trials 8]

Without --clip it encodes the DAVIS clip ``blackswan`` (854x480) from ../shared/data.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sample_clip(folder: Path) -> Path:
    """30 frames of DAVIS blackswan at 854x480, H.264 (real footage)."""
    sys.path.insert(0, str(ROOT / "tests" / "app"))
    from app_clips import encode_clip
    frames = ROOT.parent / "shared" / "data" / "davis480" / "blackswan"
    if not frames.is_dir():
        sys.exit(f"no --clip given and the sample frames are missing: {frames}")
    return encode_clip(frames, folder / "blackswan.mp4", size=(854, 480), count=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--size", default="800x450", help="viewport in output pixels, WxH")
    args = ap.parse_args()
    from engine.video import probe
    from savsr_app.preview_controller import PreviewController
    from savsr_app.qt import QApplication, QEventLoop, QRect, QTimer

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        info = probe(args.clip or sample_clip(Path(tmp)))
        ctl = PreviewController()
        ctl.set_model(args.model, args.device)
        errors = []
        ctl.error.connect(lambda which, msg: errors.append(f"{which}: {msg}"))
        vw, vh = (int(v) for v in args.size.split("x"))
        W, H = round(info.width * 2), round(info.height * 2)
        ctl.set_scale(2.0, 2.0)
        ctl.set_region(QRect((W - vw) // 2, (H - vh) // 2, vw, vh))

        def until_patch() -> float:
            loop = QEventLoop()
            ctl.afterPatch.connect(loop.quit)
            ctl.error.connect(loop.quit)
            t0 = time.perf_counter()
            QTimer.singleShot(600_000, loop.quit)
            loop.exec()
            ctl.afterPatch.disconnect(loop.quit)
            ctl.error.disconnect(loop.quit)
            return time.perf_counter() - t0

        ctl.set_clip(info, 0)
        warm = until_patch()                      # loads the model, first decode
        times, compute, cpu = [], [], []
        ctl.afterTime.connect(compute.append)
        for i in range(args.trials):
            c0 = time.process_time()
            ctl.set_frame(1 + (i * 3) % (info.frame_count - 1))     # the last change
            times.append(until_patch())
            cpu.append(time.process_time() - c0)
        ctl.shutdown()
        if errors:
            print("errors:", *errors, sep="\n  ")
            return 1
        name = Path(args.model).name if args.model else "bundled model"
        print(f"clip {Path(info.path).name} {info.width}x{info.height}; viewport {vw}x{vh} output px at 2x; "
              f"{name}; {args.device}; torch threads {__import__('torch').get_num_threads()}")
        print(f"first preview (model load + decode): {warm:.2f} s")
        print(f"last change -> SAVSR pane: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} changes "
              f"(includes the {ctl._timer.interval()} ms debounce; worker compute median "
              f"{statistics.median(compute[-len(times):]):.2f} s)")
        threads = __import__("torch").get_num_threads()
        idle = statistics.median(cpu) / threads + ctl._timer.interval() / 1000
        print(f"CPU time per change: median {statistics.median(cpu):.2f} s -> on an idle machine with {threads} "
              f"cores about {idle:.2f} s (CPU time / cores + debounce); load average now "
              f"{os.getloadavg()[0]:.1f}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
