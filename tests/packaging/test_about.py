"""The About box shows what a bug report needs: versions of the app, model, torch, PySide6, FFmpeg, and credits."""
from __future__ import annotations

import av
import pytest
import torch

pytest.importorskip("pytestqt")


@pytest.fixture
def about(qtbot):
    from savsr_app.dialogs.about import AboutDialog
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _texts(dialog) -> str:
    from savsr_app.qt import QLabel
    return "\n".join(label.text() for label in dialog.findChildren(QLabel))


def test_about_shows_name_version_icon_and_library_versions(about):
    from engine import __version__
    from engine.resources import default_model_path
    from savsr_app.qt import PYSIDE_VERSION, QLabel
    text = _texts(about)
    assert about.windowTitle() == "About SAVSR Studio"
    assert "SAVSR Studio" in text and __version__ in text
    assert torch.__version__ in text and PYSIDE_VERSION in text
    assert av.ffmpeg_version_info in text and str(av.library_versions["libavcodec"][0]) in text
    assert "no telemetry and no network use" in text
    icon = about.findChild(QLabel, "aboutIcon")
    if default_model_path() is not None:  # a checkout with the bundled resources
        assert not icon.pixmap().isNull()
        assert about.model_name == "savsr_studio_default"
        assert "Parameters" in text


def test_about_credits_cite_the_paper_and_the_licence(about):
    credits = about.credits.toPlainText()
    assert "Li et al." in credits and "Arbitrary-Scale Video Super-Resolution" in credits and "AAAI 2024" in credits
    assert "Apache-2.0" in credits


def test_copy_versions_puts_a_bug_report_block_on_the_clipboard(about):
    from savsr_app.qt import QApplication
    about.copy_versions()
    text = QApplication.clipboard().text()
    assert text.startswith("SAVSR Studio ") and "torch: " in text and "FFmpeg: " in text and "Model: " in text


def test_unreadable_model_is_described_not_raised(qtbot, tmp_path):
    from savsr_app.dialogs.about import AboutDialog
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    dialog = AboutDialog(model_path=str(bad))
    qtbot.addWidget(dialog)
    assert dialog.model_name.startswith("unreadable (")


def test_credits_are_rendered_not_raw_markdown(about):
    credits = about.credits.toPlainText()
    assert "Model card" in credits and "Sample clip" in credits
    assert not any(line.lstrip().startswith(("#", "| ---", "===")) for line in credits.splitlines())


def test_third_party_notices_open_from_about(about, qtbot):
    from savsr_app.dialogs.about import show_notices
    from savsr_app.qt import QPlainTextEdit, QPushButton
    assert about.findChild(QPushButton, "aboutNotices") is not None
    dialog = show_notices(about)
    qtbot.addWidget(dialog)
    text = dialog.findChild(QPlainTextEdit, "noticesText").toPlainText()
    assert "third-party notices" in text or "packaging/notices.py" in text
