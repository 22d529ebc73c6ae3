"""``benchmarks/app_faults.py``, the side inside the app process: the app as ``savsr-app`` starts it, with
a driver that does what a user would (open a clip, pick the backend, type an output folder, Add to queue,
Retry) and reports the queue's events, one JSON object a line, on a pipe."""
from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import traceback
from pathlib import Path


class Driver:
    """What a user does in the window, step by step, with the window's own event loop turning in
    between (as pytest-qt's waits do); reports the queue's events on the pipe."""

    def __init__(self, app, config: dict):
        self.app, self.config = app, config
        self.out = os.fdopen(config["events_fd"], "w", buffering=1)
        self.commands: queue.Queue = queue.Queue()
        threading.Thread(target=self._read_commands, daemon=True).start()
        self.window = None

    def _read_commands(self):
        for line in sys.stdin:
            self.commands.put(json.loads(line))

    def emit(self, **event):
        self.out.write(json.dumps(event) + "\n")

    def wait(self, cond, timeout: float):
        from savsr_app.qt import QEventLoop
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def start(self):
        try:
            self._queue_jobs()
            self._serve()
        except Exception:   # the driver's own failure: say so and end, never leave a window waiting
            self.emit(ev="error", text=traceback.format_exc())
            self.app.quit()

    def _queue_jobs(self):
        from savsr_app.window.main_window import MainWindow
        w = self.window = next(x for x in self.app.topLevelWidgets() if isinstance(x, MainWindow))
        w.confirm_close = lambda _question: True    # nothing runs when it closes; offscreen nobody could answer
        r = w.runner
        r.jobStarted.connect(lambda jid: self.emit(ev="started", id=jid))
        r.progressed.connect(self._progress)
        r.jobFinished.connect(self._finished)
        r.logMessage.connect(self._log)
        self.emit(ev="ready", pid=os.getpid())
        w.queue_panel.run_action.trigger()          # hold the queue while the jobs are added
        for spec in self.config["jobs"]:
            if self._open(spec["input"]) is not True:
                raise RuntimeError(f"could not open {spec['input']}")
            if w.settings.backend != spec["backend"]:     # as the settings dialog's OK does
                w.settings.backend = spec["backend"]
                w.save_settings()
                w.apply_settings()
            w.output_panel.folder.setText(spec["folder"])
            entry = w.add_to_queue()
            if entry is None:
                raise RuntimeError(f"the app refused to queue {spec['input']}")
            self.emit(ev="queued", key=spec["key"], id=entry.id, job=entry.job.to_dict(), frames=entry.frames)
        w.queue_panel.run_action.trigger()

    def _open(self, path: str):
        """Open ``path`` as File > Open does; ``True``, or the app's message."""
        w, result = self.window, []
        w.clipOpened.connect(on_open := lambda _info: result.append(True))
        w.openFailed.connect(on_fail := lambda msg: result.append(msg))
        try:
            w.open_path(path)
            self.wait(lambda: result, 60)
        finally:
            w.clipOpened.disconnect(on_open)
            w.openFailed.disconnect(on_fail)
        return result[0]

    def _progress(self, job_id: str):
        e = self.window.queue_model.entry(job_id)
        self.emit(ev="progress", id=job_id, done=e.done, state=e.state)

    def _finished(self, job_id: str, state: str):
        e = self.window.queue_model.entry(job_id)
        self.emit(ev="finished", id=job_id, state=state, message=e.message, done=e.done)

    def _log(self, text: str):
        e = next((e for e in self.window.queue_model.entries if text.startswith(f"{e.name}: ")), None)
        self.emit(ev="log", id=e.id if e else None, text=text)

    def _serve(self):
        """The commands from outside, until ``close``."""
        while True:
            self.wait(lambda: not self.commands.empty(), 3600)
            command = self.commands.get()
            if command["cmd"] == "retry":           # select the row, press Retry
                self.window.queue_panel.select(command["id"])
                self.window.queue_panel.retry_action.trigger()
            elif command["cmd"] == "check":
                self._check(command["path"])
            elif command["cmd"] == "close":
                self.emit(ev="closing", t=time.monotonic())
                self.window.close()
                return

    def _check(self, path: str):
        from savsr_app.qt import QTimer
        fired, t0 = [], time.monotonic()
        QTimer.singleShot(0, lambda: fired.append(time.monotonic()))
        self.wait(lambda: fired, 30)
        latency = (fired[0] - t0) * 1000
        opened = self._open(path)
        self.emit(ev="alive", visible=self.window.isVisible(), event_latency_ms=round(latency, 1), opened=opened)


def app_main(config_path: str) -> int:
    """The app as ``savsr-app`` starts it, with the driver's first step queued on its event loop."""
    config = json.loads(Path(config_path).read_text())
    from savsr_app.main import main
    from savsr_app.qt import QApplication, QTimer
    from savsr_app.state.settings import AppSettings, SettingsStore
    SettingsStore().save(AppSettings(**config["settings"]))
    app = QApplication(sys.argv[:1])        # main() takes this one
    driver = Driver(app, config)
    QTimer.singleShot(0, driver.start)
    return main([])
