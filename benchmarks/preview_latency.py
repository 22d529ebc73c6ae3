"""Preview latency: from the last change to the first SAVSR tile and to the whole 800x450 view at 2x.

Drives the app's own preview path (PreviewController -> tile worker thread -> engine.preview.tiles)
headless, with the job the app would queue (H.264, the CPU's tile grid, the chosen backend):

* ``first_tile_s``, ``full_view_s``: median over ``--trials`` frame changes, idle;
* ``cached_s``: back to a frame already computed (the SAVSR view comes from the tile cache);
* ``first_tile_busy_s``: the first tile while a render of another clip runs (it gives way);
* ``playback_fps``: frames shown per second playing a cached range of a 480x270 clip;
* ``ui_stall_ms``: the longest event-loop stall measured throughout.

    .venv/bin/python benchmarks/preview_latency.py [--clip FILE] [--model FILE] [--trials 10] [--json]

Without --clip it encodes the DAVIS clip ``blackswan`` (854x480) from ../shared/data.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sample_clip(folder: Path, size=(854, 480), count: int = 30, name: str = "blackswan") -> Path:
    """``count`` frames of DAVIS blackswan at ``size``, H.264 (real footage)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.app_clips import encode_clip
    frames = ROOT.parent / "shared" / "data" / "davis480" / "blackswan"
    if not frames.is_dir():
        sys.exit(f"no --clip given and the sample frames are missing: {frames}")
    return encode_clip(frames, folder / f"{name}.mp4", size=size, count=count)


class StallMeter:
    """The longest gap between ticks of a 5 ms timer on the UI thread, minus the 5 ms.

    With ``trace``, a watcher thread samples the UI thread's stack every 10 ms while a gap is longer
    than 50 ms, so :meth:`report` can say where the UI thread was during its stalls."""

    def __init__(self, trace: bool = False):
        from savsr_app.qt import QTimer
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer = QTimer(interval=5, timeout=self._tick)
        self.timer.start()
        self.samples: dict[str, int] = {}
        self.dumps = None
        if trace:
            import faulthandler
            self._ui = threading.get_ident()
            threading.Thread(target=self._watch, daemon=True).start()
            # faulthandler's watchdog needs no GIL: it also catches stalls in C code that holds it
            self.dumps = tempfile.TemporaryFile("w+")
            self._arm = lambda: faulthandler.dump_traceback_later(0.06, file=self.dumps)

    def _tick(self):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last - 0.005)
        self._last = now
        if self.dumps is not None:
            self._arm()

    def _watch(self):
        import traceback
        while True:
            time.sleep(0.01)
            if time.perf_counter() - self._last > 0.05:
                frame = sys._current_frames().get(self._ui)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-4:]
                    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))
                    self.samples[where] = self.samples.get(where, 0) + 1

    @contextlib.contextmanager
    def excluded(self):
        """Not measured: tearing a controller down (it waits for the tile worker, as closing the
        window does), which is no stall an editor meets while working."""
        self.timer.stop()
        try:
            yield
        finally:
            self._last = time.perf_counter()
            self.timer.start()

    def report(self, top: int = 15) -> list[str]:
        """The UI thread's most sampled stacks during stalls, with the milliseconds they account for,
        then what every thread was doing at each stall over 60 ms (faulthandler's dumps, counted)."""
        ranked = sorted(self.samples.items(), key=lambda kv: -kv[1])[:top]
        lines = [f"{n * 10:6d} ms  {where}" for where, n in ranked]
        if self.dumps is not None:
            import faulthandler
            faulthandler.cancel_dump_traceback_later()
            self.dumps.seek(0)
            counts: dict[str, int] = {}
            for block in self.dumps.read().split("\n\n"):
                head = block.strip().splitlines()
                if len(head) >= 2:
                    key = head[0].split(" (")[0][:30] + ": " + " < ".join(s.strip() for s in head[1:4])
                    counts[key] = counts.get(key, 0) + 1
            lines += [f"{n:6d} x  {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]]
        return lines


def wait(signal, seconds: float = 600, until=None) -> float:
    """Seconds until ``signal`` fires (and ``until(*args)`` holds), running the event loop."""
    from savsr_app.qt import QEventLoop, QTimer
    loop, t0 = QEventLoop(), time.perf_counter()

    def fired(*args):
        if until is None or until(*args):
            loop.quit()
    signal.connect(fired)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    signal.disconnect(fired)
    return time.perf_counter() - t0


def pause_events(seconds: float):
    """Let ``seconds`` pass with the event loop running (a ``sleep`` would stall the UI thread)."""
    from savsr_app.qt import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def make_controller(info, args, region_size):
    from savsr_app.preview.controller import PreviewController
    from savsr_app.qt import QRect
    from savsr_app.state.app_state import AppState, ModelChoice
    ctl = PreviewController()
    state = AppState(ctl)                   # the job the app would queue: H.264, the CPU's tile grid
    state.set_model(ModelChoice(path=args.model or "clean", device=args.device, backend=args.backend,
                                tile=args.tile))
    ctl.follow(state)
    state.set_clip(info)
    W, H = ctl.output_size()
    vw, vh = region_size
    ctl.set_region(QRect(max(0, (W - vw) // 2), max(0, (H - vh) // 2), min(vw, W), min(vh, H)))
    return ctl


def change(ctl, frame: int) -> tuple[float, float]:
    """Move to ``frame``; ``(first tile, whole view)`` seconds after the change."""
    first: list[float] = []
    ctl.firstTile.connect(first.append)
    t0 = time.perf_counter()
    ctl.set_frame(frame)
    if not ctl.cached(frame):
        wait(ctl.afterTime)
    ctl.firstTile.disconnect(first.append)
    return (first[0] if first else float("nan")), time.perf_counter() - t0


def render_in_background(clip: Path, args, stop: threading.Event):
    from engine.render.control import RenderControl
    from engine.render.job import RenderJob
    from engine.render.renderer import render
    from savsr_app.state.app_state import ModelChoice
    control = RenderControl()
    job = RenderJob(input=str(clip), output=str(clip.with_name("busy_out.mkv")), scale_w=2.0, scale_h=2.0,
                    codec="ffv1", model=args.model, device=args.device, backend=args.backend, overwrite=True,
                    tile=ModelChoice(device=args.device).job_tile)     # as the app queues it: tiles on a CPU

    def run():
        try:
            render(job, control=control)
        except Exception:  # cancelled at the end of the measurement
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    threading.Thread(target=lambda: (stop.wait(), control.cancel()), daemon=True).start()
    return thread


def playback(info, args, t, stalls) -> tuple[float, float]:
    """Frames per second shown while transport ``t`` plays a cached range (``--playback-frames``) of
    ``info``: new frames shown, minus one, over the time from the first to the last (the rate an editor
    sees, without the start and the stop), and the share of them shown with their SAVSR tiles."""
    ctl = make_controller(info, args, (960, 540))
    t.set_clip(info)
    t.frameChanged.connect(ctl.set_frame)
    t.playingChanged.connect(ctl.set_playing)
    n = min(info.frame_count - 1, args.playback_frames - 1)
    ctl.cache_range(0, n)
    wait(ctl.cachedFrames, 1800, until=lambda done: set(range(n + 1)) <= done)
    shown: list[float] = []                                   # when each new frame reached the screen
    savsr: set[int] = set()
    last = [None]

    def before(_img):
        if ctl.frame != last[0]:
            last[0] = ctl.frame
            shown.append(time.perf_counter())
    ctl.beforeImage.connect(before)
    ctl.afterPatch.connect(lambda _img, _rect: savsr.add(ctl.frame) if shown else None)
    t.play(1)
    wait(t.playingChanged, 60, until=lambda playing: not playing)      # it stops at the clip's end
    with stalls.excluded():
        ctl.shutdown()
    t.frameChanged.disconnect(ctl.set_frame)
    t.playingChanged.disconnect(ctl.set_playing)
    if len(shown) < 2:
        return 0.0, 0.0
    seconds = shown[-1] - shown[0]
    return (len(shown) - 1) / seconds, len(savsr) / len(shown)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--backend", default="torch", help="torch, openvino, onnxruntime or auto")
    ap.add_argument("--tile", type=int, default=0, help="render tile (0: the app's choice)")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--size", default="800x450", help="viewport in output pixels, WxH")
    ap.add_argument("--playback-frames", type=int, default=12, help="frames cached, then played")
    ap.add_argument("--skip-busy", action="store_true")
    ap.add_argument("--skip-playback", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--trace-stalls", action="store_true",
                    help="sample the UI thread's stack during its stalls (over 50 ms) and print where it was")
    args = ap.parse_args()
    import torch

    from engine.backends import isolate_exports
    from savsr_app.panels.clip_panel import probe_clip
    from savsr_app.preview.transport import Transport
    from savsr_app.qt import QApplication

    _app = QApplication.instance() or QApplication([])     # held: Qt objects need it alive for the whole run
    isolate_exports()                                       # as the app does (savsr_app.main.start)
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        # opened as the app opens a clip: probed and its combing measured off the UI thread
        info = probe_clip(str(args.clip or sample_clip(Path(tmp))))
        other = sample_clip(Path(tmp), size=(854, 480), count=60, name="other") if not args.skip_busy else None
        small = probe_clip(str(sample_clip(Path(tmp), size=(480, 270), count=args.playback_frames, name="small")))
        transport = Transport()                               # built with the window, as in the app
        stalls = StallMeter(trace=args.trace_stalls)
        vw, vh = (int(v) for v in args.size.split("x"))
        errors: list[str] = []
        ctl = make_controller(info, args, (vw, vh))
        ctl.error.connect(lambda which, msg: errors.append(f"{which}: {msg}"))
        t0 = time.perf_counter()
        wait(ctl.afterTime)                                   # loads the model, first decode, backend prep
        out["warm_s"] = time.perf_counter() - t0
        out["warm_ui_stall_ms"] = round(stalls.longest * 1000, 1)   # first imports on the UI thread
        stalls.longest = 0.0
        stalls.samples.clear()
        frames = [1 + (i * 3) % (info.frame_count - 1) for i in range(args.trials)]
        firsts, fulls = zip(*(change(ctl, f) for f in frames)) if frames else ((), ())
        cached = [change(ctl, f)[1] for f in frames[:5]]       # every view above is in the cache now
        busy = []
        if not args.skip_busy:
            stop = threading.Event()
            render_in_background(other, args, stop)
            pause_events(3.0)                                 # the render is into its frames
            for i in range(max(2, args.trials // 2)):
                ctl.cache.clear()
                busy.append(change(ctl, 2 + (i * 5) % (info.frame_count - 2))[0])
            stop.set()
        grid = ctl.grid
        with stalls.excluded():
            ctl.shutdown()
        fps = None
        if not args.skip_playback:
            fps, out["playback_savsr_share"] = playback(small, args, transport, stalls)
            out["playback_clip_fps"] = small.fps
        if errors:
            print("errors:", *errors, sep="\n  ")
            return 1
        out.update(first_tile_s=statistics.median(firsts), full_view_s=statistics.median(fulls),
                   cached_s=statistics.median(cached), first_tile_busy_s=statistics.median(busy) if busy else None,
                   playback_fps=fps, ui_stall_ms=round(stalls.longest * 1000, 1),
                   first_tile_max_s=max(firsts), full_view_max_s=max(fulls), trials=len(frames),
                   clip=f"{Path(info.path).name} {info.width}x{info.height}", viewport=args.size, scale=2.0,
                   tile=grid.tile, tiles_in_view=len(ctl._visible()), backend=args.backend, device=args.device,
                   model=Path(args.model).name if args.model else "bundled", torch_threads=torch.get_num_threads(),
                   load_average=round(os.getloadavg()[0], 1), cpus=os.cpu_count())
    if args.trace_stalls:
        print("UI thread during stalls (10 ms samples):", *stalls.report(), sep="\n  ", file=sys.stderr)
    if args.json:
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()}))
    else:
        for k, v in out.items():
            print(f"{k:>18}: {v:.3f}" if isinstance(v, float) else f"{k:>18}: {v}")
    sys.stdout.flush()
    os._exit(0)     # the workers' threads are stopped; skip tearing down Qt objects at interpreter exit


if __name__ == "__main__":
    sys.exit(main())
