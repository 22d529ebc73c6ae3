"""The status bar: the device, the model, the memory in use and the running job."""
from __future__ import annotations

import os

from ..qt import QLabel, QProgressBar, QStatusBar, QTimer


def memory_text(device: str) -> str:
    """Memory this process uses (resident set), plus GPU memory on CUDA."""
    import psutil
    text = f"RAM {psutil.Process(os.getpid()).memory_info().rss / 2**30:.2f} GB"
    if device.startswith("cuda"):
        import torch
        if torch.cuda.is_available():
            text += f" · VRAM {torch.cuda.memory_allocated() / 2**30:.2f} GB"
    return text


def compute_words(device_id: str, backend: str = "auto", precision: str = "auto") -> str:
    """``OpenVINO bf16``: what computes the network on ``device_id`` for these settings, as far as it is
    known (``""`` on a CPU before ``auto`` has measured this machine)."""
    from engine.backends.choice import NAMES, choose, latest_decision
    from engine.devices import resolve_device
    if backend != "auto" and precision != "auto":
        return f"{NAMES.get(backend, backend)} {precision}"
    try:
        device = resolve_device(device_id or "auto")
    except ValueError:
        return ""
    if device.type == "cuda":
        known = choose(None, device, backend, precision, measure=False)   # no measuring on a GPU
    else:
        known = latest_decision(device)
    if known is None or backend not in ("auto", known.backend) or precision not in ("auto", known.precision):
        return ""
    return f"{NAMES.get(known.backend, known.backend)} {known.precision}"


class StatusBar(QStatusBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.job_label = QLabel()
        self.job_bar = QProgressBar()
        self.job_bar.setMaximumWidth(160)
        self.job_bar.setMaximumHeight(14)
        self.job_bar.setTextVisible(False)
        self.device_label = QLabel()
        self.device_label.setObjectName("deviceLabel")
        self.model_label = QLabel()
        self.model_label.setObjectName("modelLabel")
        self.memory_label = QLabel()
        self.memory_label.setObjectName("memoryLabel")
        self.memory_label.setToolTip("Memory in use by SAVSR Studio")
        for w in (self.job_label, self.job_bar):
            self.addWidget(w)
        for w in (self.device_label, self.model_label, self.memory_label):
            w.setStyleSheet("padding: 0 6px;")
            self.addPermanentWidget(w)
        self.set_job(None)
        self.device, self.device_name = "cpu", "CPU"
        self._timer = QTimer(self, interval=2000, timeout=self.refresh_memory)
        self._timer.start()
        self.refresh_memory()

    def set_device(self, device_id: str, name: str):
        """``Device: CPU · OpenVINO bf16``: the device, and what computes on it once that is known."""
        self.device, self.device_name = device_id, name
        self.refresh_compute()

    def refresh_compute(self):
        settings = getattr(self.parent(), "settings", None)
        words = compute_words(self.device, getattr(settings, "backend", "auto"), getattr(settings, "precision", "auto"))
        self.device_label.setText(f"Device: {self.device_name}" + (f" · {words}" if words else ""))
        self.device_label.setToolTip("What computes the network: measured once per machine and model when "
                                     "precision is Automatic (savsr info --system)")

    def set_model(self, name: str):
        """``name`` as the queue and the log give it: ``compressed (auto: h264 at 0.14 bits per pixel)``."""
        short = name.split(" (", 1)[0]
        self.model_label.setText(f"Model: {short}" + (" (auto)" if "(auto" in name else ""))
        self.model_label.setToolTip(f"Model: {name}")

    def refresh_memory(self):
        self.memory_label.setText(memory_text(self.device))
        if self.device_label.text():             # a first render or preview may have decided meanwhile
            self.refresh_compute()

    def set_job(self, text: str | None, fraction: float = 0.0):
        """The running job's progress, or nothing when idle."""
        self.job_label.setVisible(text is not None)
        self.job_bar.setVisible(text is not None)
        if text is not None:
            self.job_label.setText(text)
            self.job_bar.setRange(0, 1000)
            self.job_bar.setValue(int(fraction * 1000))
