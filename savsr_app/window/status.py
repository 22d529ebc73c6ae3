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
        self.device = "cpu"
        self._timer = QTimer(self, interval=2000, timeout=self.refresh_memory)
        self._timer.start()
        self.refresh_memory()

    def set_device(self, device_id: str, name: str):
        self.device = device_id
        self.device_label.setText(f"Device: {name}")

    def set_model(self, name: str):
        """``name`` as the queue and the log give it: ``compressed (auto: h264 at 0.14 bits per pixel)``."""
        short = name.split(" (", 1)[0]
        self.model_label.setText(f"Model: {short}" + (" (auto)" if "(auto" in name else ""))
        self.model_label.setToolTip(f"Model: {name}")

    def refresh_memory(self):
        self.memory_label.setText(memory_text(self.device))

    def set_job(self, text: str | None, fraction: float = 0.0):
        """The running job's progress, or nothing when idle."""
        self.job_label.setVisible(text is not None)
        self.job_bar.setVisible(text is not None)
        if text is not None:
            self.job_label.setText(text)
            self.job_bar.setRange(0, 1000)
            self.job_bar.setValue(int(fraction * 1000))
