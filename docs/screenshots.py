"""Screenshots of SAVSR Studio on real footage, under a virtual X display.

    .venv/bin/python docs/screenshots.py [--clip FILE] [--model FILE] [--out docs]

Starts Xvfb (unless --no-xvfb and a DISPLAY is set), runs the app with a throw-away settings
folder, opens the bundled sample clip (or, without one, 30 frames of the DAVIS clip blackswan
encoded from ../shared/data), and saves:

* ``screenshot-main.png``        main window at 1280x800, side-by-side preview at 100% (dark theme)
* ``screenshot-main-1080p.png``  the same window at 1920x1080
* ``screenshot-split.png``       the split-line mode
* ``screenshot-advanced.png``    1280x800 with the Advanced (fine-tuning) dock open
* ``screenshot-queue.png``       the queue with a running job and a waiting one
* ``screenshot-main-light.png``, ``screenshot-main-1080p-light.png``: the light theme at both sizes

Each theme runs in its own process (a theme applies fully at start-up); ``--theme`` shoots one.

Needs the X libraries Qt's xcb plugin uses (Debian: xvfb libxcb-cursor0 libxcb-icccm4
libxcb-keysyms1 libxkbcommon-x11-0).
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_xvfb(width=1920, height=1080) -> None:
    """A private X server on the first free display number; stopped at exit."""
    if not shutil.which("Xvfb"):
        sys.exit("Xvfb not found: install it (Debian/Ubuntu: apt-get install xvfb)")
    for number in range(91, 120):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(proc.terminate)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            break
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"


def sample_clip(folder: Path) -> Path:
    from engine.resources import sample_clip_path
    bundled = sample_clip_path()
    if bundled:
        return bundled
    sys.path.insert(0, str(ROOT / "tests" / "app"))
    from app_clips import encode_clip
    frames = ROOT.parent / "shared" / "data" / "davis480" / "blackswan"
    if not frames.is_dir():
        sys.exit(f"no sample clip bundled and no footage at {frames}: pass --clip")
    return encode_clip(frames, folder / "blackswan.mp4", size=(854, 480), count=30)


class Shooter:
    def __init__(self, app, window, out: Path):
        self.app, self.window, self.out = app, window, out

    def wait(self, condition, timeout=900.0, what="the app"):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.app.processEvents()
            time.sleep(0.02)

    def settle(self, seconds=0.4):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.02)

    def preview_ready(self):
        """Wait until the SAVSR pane shows the region for the current view."""
        images = self.window.preview.images
        while True:                             # until the view stays put and its region is done
            self.settle(0.8)
            self.wait(lambda: not images.busy and images.patches, what="the SAVSR preview")
            self.settle(0.8)
            if not images.busy:
                break
        if images.after_error:
            raise RuntimeError(f"preview failed: {images.after_error}")

    def shot(self, name: str):
        self.settle(0.3)
        path = self.out / name
        self.window.grab().save(str(path))
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def run(args) -> int:
    from savsr_app.main import start
    from savsr_app.qt import QApplication
    from savsr_app.state.settings import AppSettings, SettingsStore
    tmp = Path(tempfile.mkdtemp(prefix="savsr-shots-"))
    atexit.register(shutil.rmtree, tmp, True)
    os.environ["SAVSR_STUDIO_HOME"] = str(tmp / "home")
    (tmp / "out").mkdir()
    # renders go to the temporary folder, not next to the clip
    SettingsStore().save(AppSettings(model=args.model or "", device="cpu", output_dir=str(tmp / "out"),
                                     theme=args.theme))
    clip = Path(args.clip) if args.clip else sample_clip(tmp)
    window = start([str(clip)])
    app = QApplication.instance()
    window.confirm_close = lambda _question: True
    s = Shooter(app, window, Path(args.out))
    suffix = "" if args.theme == "dark" else f"-{args.theme}"
    window.resize(1280, 800)
    s.wait(lambda: window.info is not None, what="the clip to open")
    window.transport.set_frame(min(12, window.info.frame_count - 1))
    s.preview_ready()
    s.shot(f"screenshot-main{suffix}.png")
    window.resize(1920, 1080)
    s.preview_ready()
    s.shot(f"screenshot-main-1080p{suffix}.png")
    window.resize(1280, 800)
    if args.theme != "dark":
        return _close(s, window)
    window.preview.set_mode("split")
    s.preview_ready()
    s.shot("screenshot-split.png")
    window.preview.set_mode("side")
    window.advanced_dock.show()
    window.advanced_dock.raise_()
    s.settle(1.0)
    s.shot("screenshot-advanced.png")
    window.advanced_dock.hide()
    window.transport.set_range(0, min(11, window.info.frame_count - 1))
    running = window.add_to_queue()
    window.scale_panel.apply_preset("anamorphic", (4 / 3, 1.0))
    window.add_to_queue()
    window.queue_panel.select(running.id)
    s.wait(lambda: window.queue_model.entry(running.id).done >= 1, what="the render to start")
    s.shot("screenshot-queue.png")
    return _close(s, window)


def _close(s: Shooter, window) -> int:
    window.close()
    s.wait(lambda: not window.isVisible(), what="the window to close")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description="Save screenshots of SAVSR Studio under a virtual display.")
    ap.add_argument("--clip", help="clip to show (default: bundled sample or DAVIS blackswan)")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNG files")
    ap.add_argument("--no-xvfb", action="store_true", help="use the current DISPLAY instead of starting Xvfb")
    ap.add_argument("--theme", choices=("dark", "light"), help="shoot one theme (default: both, one process each)")
    args = ap.parse_args()
    if args.theme is None:
        for theme in ("dark", "light"):
            code = subprocess.call([sys.executable, __file__, *sys.argv[1:], "--theme", theme])
            if code:
                return code
        return 0
    if not (args.no_xvfb and os.environ.get("DISPLAY")):
        start_xvfb()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
