"""What the main window does: open clips, follow scale changes, queue jobs, save state, close.

A mixin of :class:`~savsr_app.main_window.MainWindow`, which builds the widgets this uses.
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import SavsrError
from engine.render.job import RenderJob

from . import APP_NAME
from .queue.jobs import ACTIVE, QUEUED, QueueEntry
from .qt import QByteArray, QFileDialog, QMessageBox, QPointF, QSize
from .settings_dialog import SettingsDialog

VIDEO_FILTER = "Video (*.mp4 *.mov *.mkv *.m4v *.avi *.webm *.mxf *.mts *.m2ts *.ts *.y4m);;All files (*)"


class WindowLogic:
    # ---- opening clips -----------------------------------------------------------------------
    def open_dialog(self):
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open clip", start, VIDEO_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str):
        """Probe ``path`` in the background; the clip opens when the probe answers."""
        from engine.video import probe
        self.status.showMessage(f"Opening {Path(path).name}…")
        self.background.call(probe, str(path), done=self._clip_opened,
                             failed=lambda msg, p=path: self._open_failed(p, msg))

    def _open_failed(self, path: str, message: str):
        self.status.clearMessage()
        self.log_dock.append(f"could not open {path}: {message}")
        self.notify(message, "error")
        self.openFailed.emit(message)

    def _clip_opened(self, info):
        self.info = info
        self.status.showMessage(f"Opened {Path(info.path).name}", 3000)
        self.settings.add_recent(info.path)
        self.save_settings()
        self.setWindowTitle(f"{Path(info.path).name} — {APP_NAME}")
        self.clip_panel.set_clip(info)
        self.transport.set_clip(info)
        self.scale_panel.set_source(info.display_size)
        self.preview.images.clear()
        w, h = self.scale_panel.output_size()
        vp = self.preview.viewport
        vp.image_size, vp.fitted, vp.center = QSize(w, h), False, QPointF(w / 2, h / 2)
        vp.zoom = 1.0 / vp.pixel_ratio            # open at 100%, centred
        self.controller.set_scale(self.scale_panel.s_h, self.scale_panel.s_w)
        self.controller.set_clip(info, 0)
        vp.changed.emit()
        self.update_output_text()
        self.log_dock.append(f"opened {info.path}: {info.width}x{info.height}, {info.frame_count} frames")
        self.clipOpened.emit(info)

    def _fill_recent(self):
        menu = self.recent_menu
        menu.clear()
        for path in self.settings.recent_files:
            menu.addAction(Path(path).name, lambda p=path: self.open_path(p)).setToolTip(path)
        if self.settings.recent_files:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        else:
            menu.addAction("No recent clips").setEnabled(False)

    def _clear_recent(self):
        self.settings.recent_files = []
        self.save_settings()

    def dragEnterEvent(self, event):
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_path(files[0])
            event.acceptProposedAction()

    # ---- scale and output --------------------------------------------------------------------
    def _scale_changed(self, s_w: float, s_h: float):
        self.controller.set_scale(s_h, s_w)
        self.update_output_text()

    def _mode_changed(self, mode: str):
        self.settings.preview_mode = mode

    def make_job(self, output: str | None = None) -> RenderJob:
        """The current settings frozen into a job (``output`` defaults to a fresh file name)."""
        s, sp = self.settings, self.scale_panel
        if output is None:
            taken = {e.job.output for e in self.queue_model.entries}
            output = str(self.output_panel.output_for(self.info.path, sp.output_size(), taken))
        start, end = self.transport.range_seconds()
        return RenderJob(input=self.info.path, output=output, scale_w=sp.s_w, scale_h=sp.s_h, start=start, end=end,
                         codec=self.output_panel.current_codec(), crf=self.output_panel.crf.value(),
                         model=s.model_path, device=s.device, precision=s.precision, tile=s.tile)

    def update_output_text(self):
        if self.info is None:
            return
        from engine.render.plan import plan
        w, h = self.info.display_size
        try:
            p = plan(self.make_job(output=str(Path(self.info.path).with_suffix(".out" + self._ext()))),
                     self.info, check_output=False)
        except SavsrError as exc:
            ow, oh = self.scale_panel.output_size()
            self.scale_panel.set_output_text(f"Output: {ow} × {oh} (from {w} × {h})", str(exc))
            return
        ow, oh = p.display_out_size
        sizes = [n for n in p.notes if "rounded to" in n]
        self.scale_panel.set_output_text(f"Output: {ow} × {oh} (from {w} × {h}), {p.frame_count} frames",
                                         "; ".join(sizes))
        self.scale_panel.output_label.setToolTip("\n".join(p.notes) or "No adjustments needed")

    def _ext(self) -> str:
        return self.output_panel.extension() or ""

    # ---- queue -------------------------------------------------------------------------------
    def add_to_queue(self) -> QueueEntry | None:
        if self.info is None:
            self.notify("Open a clip first (Ctrl+O).", "info")
            return None
        from engine.render.plan import plan
        job = self.make_job()
        try:
            p = plan(job, self.info)
        except SavsrError as exc:
            self.notify(f"Cannot queue this render: {exc}", "error")
            return None
        entry = QueueEntry(job=job, out_size=p.display_out_size, frames=p.frame_count)
        self.queue_model.add(entry)
        self.queue_dock.show()
        self.queue_dock.raise_()
        self.queue_panel.select(entry.id)
        self.log_dock.append(f"queued {entry.name} → {job.output} ({entry.out_size[0]}x{entry.out_size[1]}, "
                             f"{entry.frames} frames)")
        self.runner.kick()
        return entry

    def remove_job(self, job_id: str):
        e = self.queue_model.entry(job_id)
        if e is not None and e.state not in ACTIVE:
            self.queue_model.remove(job_id)

    def retry_job(self, job_id: str):
        self.queue_model.retry(job_id)
        self.runner.kick()

    def _job_name(self, job_id: str) -> str:
        e = self.queue_model.entry(job_id)
        return e.name if e else "job"

    def _job_progress(self, job_id: str):
        e = self.queue_model.entry(job_id)
        if e is not None:
            eta = f", ETA {int(e.eta) // 60}:{int(e.eta) % 60:02d}" if e.eta is not None else ""
            self.status.set_job(f"Rendering {e.name}: {e.done}/{e.frames}{eta}", e.fraction)

    def _job_finished(self, job_id: str, state: str):
        self.status.set_job(None)
        e = self.queue_model.entry(job_id)
        if e is not None and state == "done":
            self.notify(f"Rendered {e.name} → {Path(e.job.output).name}", "info")

    def save_queue(self):
        self.queue_store.save(self.queue_model.entries)

    # ---- preview answers ---------------------------------------------------------------------
    def _preview_error(self, which: str, message: str):
        if which == "after":
            self.preview.images.set_error(message)
        else:
            self.notify(message, "error")
        self.log_dock.append(f"preview ({which}): {message}")

    def _model_loaded(self, name: str):
        self.status.set_model(name)
        self.log_dock.append(f"model loaded: {name}")

    # ---- settings ----------------------------------------------------------------------------
    def open_settings(self):
        dialog = SettingsDialog(self.settings, self.background, self)
        if dialog.exec():
            self.settings = dialog.result_settings()
            self.save_settings()
            self.apply_settings()

    def apply_settings(self):
        s = self.settings
        self.output_panel.apply_defaults(s.codec, s.crf, s.container, s.output_dir)
        self.controller.set_model(s.model_path, s.device)
        self._show_device()
        self.status.set_model(Path(s.model).stem if s.model else "bundled")
        self.update_output_text()

    def _show_device(self):
        from engine.devices import list_devices, resolve_device
        try:
            dev = str(resolve_device(self.settings.device))
        except ValueError:
            dev = "cpu"
        self.status.set_device(dev, dict(list_devices()).get(dev, dev))

    def save_settings(self):
        self.settings_store.save(self.settings)

    def notify(self, text: str, kind: str = "info"):
        self.notifier.show_message(text, kind)

    def _advanced_visibility(self, visible: bool):
        if self.isVisible() and visible != self.settings.show_advanced:
            self.settings.show_advanced = visible
            self.save_settings()

    # ---- start and stop ----------------------------------------------------------------------
    def _restore(self):
        s = self.settings
        if s.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(s.window_geometry.encode()))
        else:
            self.resize(1280, 800)
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode()))
        self.advanced_dock.setVisible(s.show_advanced)
        self.preview.set_mode(s.preview_mode)
        self.apply_settings()
        for warning in (self.settings_store.warning, self.queue_store.warning):
            if warning:
                self.notify(warning, "error")
                self.log_dock.append(warning)
        waiting = [e for e in self.queue_model.entries if e.state == QUEUED]
        if waiting:     # never start heavy work unasked at launch (a render that crashed the app would again)
            self.runner.set_running(False)
            resumed = len(self.queue_store.resumed)
            extra = f", {resumed} of them interrupted: they continue from their last finished segment" if resumed else ""
            self.notify(f"{len(waiting)} queued job(s) restored{extra}. Press Run queue to render them.", "info")

    def confirm_stop_render(self) -> bool:
        """Ask whether to stop the running render and quit."""
        answer = QMessageBox.question(
            self, "Render running", "A render is still running. Stop it and quit?\n\n"
            "The frames finished so far are kept: the job continues from there the next time the queue runs.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event):
        if self.runner.busy and not self._close_confirmed:
            event.ignore()
            if self.confirm_stop_render():
                self._close_confirmed = True
                self.status.showMessage("Stopping the render…")
                self.runner.shutdown()
            return
        self._save_window()
        self.finetune_panel.shutdown()
        self.controller.shutdown()
        self.runner.join()
        self.background.wait()
        self.save_queue()
        event.accept()

    def _runner_stopped(self):
        if self._close_confirmed:
            self.close()

    def _save_window(self):
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        self.settings.show_advanced = self.advanced_dock.isVisible()
        self.settings.preview_mode = self.preview.mode
        self.save_settings()
