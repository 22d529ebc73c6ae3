"""Help > About SAVSR Studio: name, version, icon, the versions that matter, and credits/licences.

``show_about(window)`` opens it for the model the window's settings use (the bundled one by
default). Everything it shows is read from the running installation: the app and engine version,
the model file's own metadata, and torch, PySide6 and FFmpeg (through PyAV) as loaded -- so a
user's "Copy versions" paste is enough to reproduce their setup.
"""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from .. import APP_NAME
from ..qt import (
    PYSIDE_VERSION,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFontDatabase,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPixmap,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

PAPER = ('Li et al., "SAVSR: Arbitrary-Scale Video Super-Resolution via a Learned Scale-Adaptive Network", '
         "AAAI 2024")
PROJECT_LICENCE = "Apache-2.0"
NOTICES = "THIRD_PARTY_NOTICES.txt"


PRIVACY = ("Private: no telemetry and no network use. The usage reporting of the libraries it uses "
           "(OpenVINO, Ray, ONNX Runtime) is switched off before they load.")


def app_version() -> str:
    from engine import __version__
    return __version__


def model_summary(model_path: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """``(name, [(label, text), ...])`` for the model at ``model_path`` (``None``: the bundled one).

    Read from the file itself: its name, parameter count and whatever metadata it carries. A
    missing or unreadable file gives its reason as the name instead of raising.
    """
    from engine.models.checkpoint import CheckpointError, read_checkpoint
    from engine.resources import default_model_path
    path = Path(model_path) if model_path else default_model_path()
    if path is None:
        return "none installed", []
    try:
        sd, config, meta = read_checkpoint(path)
    except CheckpointError as exc:
        return f"unreadable ({exc})", []
    rows = [("File", str(path)),
            ("Parameters", f"{sum(t.numel() for t in sd.values()) / 1e6:.2f} M "
                           f"(num_feat {config.num_feat}, {config.num_frame}-frame window)")]
    if meta.get("trained_steps") is not None:
        hours = meta.get("trained_hours")
        rows.append(("Training", f"{meta['trained_steps']} steps" + (f", {hours:.1f} h" if hours else "")
                     + (f", {meta['weights']} weights" if meta.get("weights") else "")))
    data = meta.get("training_data")
    if data:
        sets = sorted({str(d).split("/")[0] for d in data})
        rows.append(("Training data", f"{len(data)} clips from {', '.join(sets)}"))
    val = meta.get("validation")
    if isinstance(val, dict) and "psnr" in val:
        rows.append(("Validation", f"{val['psnr']:.2f} dB Y-PSNR vs {val.get('bicubic', float('nan')):.2f} dB "
                                   f"bicubic (step {val.get('step', '?')})"))
    if meta.get("exported"):
        rows.append(("Exported", str(meta["exported"])))
    if not meta:
        rows.append(("Metadata", "none in the file (for example the authors' BasicSR checkpoint)"))
    return str(meta.get("name") or path.stem), rows


def library_versions() -> list[tuple[str, str]]:
    """``[(name, version)]`` for torch, PySide6, FFmpeg and the rest, as loaded in this process."""
    import av
    import numpy
    import torch
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
    gpu = (f"; GPU: {torch.cuda.get_device_name(0)}" if torch.version.cuda and torch.cuda.is_available() else "")
    libs = ", ".join(f"{name} {'.'.join(map(str, v))}" for name, v in sorted(av.library_versions.items())
                     if name in ("libavcodec", "libavformat"))
    return [("torch", f"{torch.__version__} ({build}{gpu})"),
            ("PySide6 / Qt", PYSIDE_VERSION),
            ("FFmpeg", f"{getattr(av, 'ffmpeg_version_info', '?')} ({libs})"),
            ("PyAV", av.__version__),
            ("NumPy", numpy.__version__)]


def _read_text(path: Path | None, limit: int = 20000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:limit] if path and path.is_file() else ""
    except OSError:
        return ""


def credits_text(model_name: str) -> str:
    """Plain text: the network's paper, the default model's licence, the model card and sample credits."""
    from engine.resources import resources_dir
    res = resources_dir()
    parts = [
        "The SAVSR network",
        f"  {PAPER}.",
        "  SAVSR Studio reimplements the authors' architecture; their checkpoints load unchanged.",
        "",
        "The default model (savsr_studio_default)",
        "  Trained by the SAVSR Studio project on the footage listed in its model card, and shipped",
        f"  under the project licence ({PROJECT_LICENCE}). Models you import keep their own licences.",
    ]
    card = _read_text(res / "models" / "MODEL_CARD.md")
    if card:
        parts += ["", "Model card (resources/models/MODEL_CARD.md)", card.strip()]
    sample = _read_text(res / "sample" / "CREDITS.txt")
    if sample:
        parts += ["", "Sample clip", sample.strip()]
    parts += ["", "Libraries",
              "  Qt and PySide6 (LGPL-3.0), PyTorch (BSD-3-Clause), FFmpeg via PyAV (FFmpeg's builds in the PyAV",
              "  wheels include GPL encoders such as x264 and x265), NumPy (BSD-3-Clause), QtAwesome (MIT; icon",
              "  fonts under their own licences), platformdirs (MIT), safetensors (Apache-2.0)."]
    return "\n".join(parts)


def credits_markdown(model_name: str) -> str:
    """The credits as Markdown for the dialog: the model card's own headings demoted under ours, the
    sample's plain-text credits as paragraphs (its ``====`` underline dropped)."""
    from engine.resources import resources_dir
    res = resources_dir()
    parts = ["### The SAVSR network", f"{PAPER}. SAVSR Studio reimplements the authors' architecture; their "
             "checkpoints load unchanged.", "",
             f"### The default model ({model_name if model_name.startswith('savsr') else 'savsr_studio_default'})",
             "Trained by the SAVSR Studio project on the footage listed in its model card, and shipped under the "
             f"project licence ({PROJECT_LICENCE}). Models you import keep their own licences."]
    card = _read_text(res / "models" / "MODEL_CARD.md").strip()
    if card:
        parts += ["", "### Model card", re.sub(r"^(#{1,3}) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", card,
                                               flags=re.MULTILINE)]
    sample = _read_text(res / "sample" / "CREDITS.txt").strip()
    if sample:
        lines = sample.splitlines()
        if len(lines) > 1 and set(lines[1].strip()) == {"="}:
            lines = [f"#### {lines[0].strip()}"] + lines[2:]
        parts += ["", "### Sample clip", "\n".join(lines)]
    parts += ["", "### Libraries",
              "Qt and PySide6 (LGPL-3.0), PyTorch (BSD-3-Clause), FFmpeg via PyAV (the FFmpeg in the PyAV wheels "
              "links the GPL encoders x264 and x265), NumPy (BSD-3-Clause), QtAwesome (MIT; icon fonts under their "
              "own licences), platformdirs (MIT), safetensors (Apache-2.0). **Third-party notices** below lists "
              "every library shipped with this copy and its licence text."]
    return "\n".join(parts)


def notices_path() -> Path | None:
    """THIRD_PARTY_NOTICES.txt of this installation (the bundle's), or a checkout's generated one."""
    candidates = [Path(getattr(sys, "_MEIPASS", "")) / NOTICES] if getattr(sys, "frozen", False) else []
    candidates.append(Path(__file__).resolve().parent.parent / "build" / NOTICES)
    return next((c for c in candidates if c.is_file()), None)


def show_notices(parent: QWidget | None = None) -> QDialog:
    """A window with the third-party notices (or how to generate them in a checkout)."""
    dialog = QDialog(parent)
    dialog.setObjectName("noticesDialog")
    dialog.setWindowTitle("Third-party notices")
    path = notices_path()
    text = QPlainTextEdit(_read_text(path, limit=10 ** 7) if path else
                          f"No {NOTICES} in this copy. Installed copies carry it; in a checkout, generate it with\n\n"
                          "    .venv/bin/python packaging/notices.py\n")
    text.setObjectName("noticesText")
    text.setReadOnly(True)
    text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    lay = QVBoxLayout(dialog)
    lay.addWidget(text)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    lay.addWidget(buttons)
    dialog.resize(900, 640)
    dialog.show()
    return dialog


def versions_text(model_path: str | None = None) -> str:
    """Everything the dialog shows as versions, as plain text for bug reports."""
    name, rows = model_summary(model_path)
    lines = [f"{APP_NAME} {app_version()}", f"Model: {name}"]
    lines += [f"  {label}: {text}" for label, text in rows]
    lines += [f"{label}: {text}" for label, text in library_versions()]
    return "\n".join(lines)


def app_icon_pixmap(size: int = 96) -> QPixmap:
    from engine.resources import resources_dir
    pix = QPixmap(str(resources_dir() / "icons" / "savsr_studio.png"))
    if pix.isNull():
        return pix
    return pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def _selectable(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class AboutDialog(QDialog):
    """The About box. ``model_path=None`` describes the bundled default model."""

    def __init__(self, parent: QWidget | None = None, model_path: str | None = None):
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.model_path = model_path
        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        layout.addWidget(self._versions_box())
        self.credits = QTextBrowser()
        self.credits.setObjectName("aboutCredits")
        self.credits.setOpenExternalLinks(True)
        self.credits.setMarkdown(credits_markdown(self.model_name))
        self.credits.setMinimumHeight(180)
        box = QGroupBox("Credits and licences")
        QVBoxLayout(box).addWidget(self.credits)
        layout.addWidget(box, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy versions")
        copy.setObjectName("aboutCopyVersions")
        copy.setToolTip("Copy the versions above as text, for a bug report")
        copy.clicked.connect(self.copy_versions)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        notices = QPushButton("Third-party notices…")
        notices.setObjectName("aboutNotices")
        notices.setToolTip("Every library shipped with SAVSR Studio, its licence and its licence text")
        notices.clicked.connect(lambda: show_notices(self))
        buttons.addButton(notices, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 640)

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        icon = QLabel()
        icon.setObjectName("aboutIcon")
        icon.setPixmap(app_icon_pixmap(96))
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"<h2 style='margin-bottom:2px'>{html.escape(APP_NAME)}</h2>"
                       f"<div>Version {html.escape(app_version())}</div>"
                       "<div>Upscale video by any width and height factors with SAVSR.</div>"
                       f"<div>{html.escape(PRIVACY)}</div>")
        title.setObjectName("aboutTitle")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(title, 1)
        return row

    def _versions_box(self) -> QGroupBox:
        box = QGroupBox("Versions")
        form = QFormLayout(box)
        form.addRow("SAVSR Studio", _selectable(app_version()))
        self.model_name, rows = model_summary(self.model_path)
        form.addRow("Model", _selectable(self.model_name))
        for label, text in rows:
            form.addRow(f"    {label}", _selectable(text))
        for label, text in library_versions():
            form.addRow(label, _selectable(text))
        return box

    def copy_versions(self):
        QApplication.clipboard().setText(versions_text(self.model_path))


def show_about(window: QWidget) -> None:
    """Open the About box for ``window``'s current model (its ``settings.model_path`` if it has one)."""
    settings = getattr(window, "settings", None)
    dialog = AboutDialog(window, getattr(settings, "model_path", None))
    dialog.exec()
    dialog.deleteLater()
