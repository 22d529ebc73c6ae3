"""App test fixtures: an isolated settings/data folder, tiny real clips, a window with the small model."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_clips import SEGMENT, encode_clip


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def clip(footage_dir, clip_dir) -> Path:
    """10 real frames of BasketballPass at 96x64, H.264."""
    return encode_clip(footage_dir, clip_dir / "basketball.mp4")


@pytest.fixture(scope="session")
def long_clip(footage_dir, clip_dir) -> Path:
    """24 frames: long enough to pause or cancel while it renders."""
    return encode_clip(footage_dir, clip_dir / "basketball_long.mp4", count=24)


@pytest.fixture
def app_home(tmp_path, monkeypatch) -> Path:
    """Settings, queue and models in a fresh folder for each test."""
    home = tmp_path / "home"
    monkeypatch.setenv("SAVSR_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def settings(app_home, small_model_file, tmp_path):
    """Settings that use the small test network on the CPU and write outputs to ``tmp_path/out``."""
    from savsr_app.state.settings import AppSettings, SettingsStore
    out = tmp_path / "out"
    out.mkdir()
    s = AppSettings(model=str(small_model_file), device="cpu", output_dir=str(out))
    SettingsStore().save(s)
    return s


@pytest.fixture
def make_window(qtbot, settings):
    """``make_window()`` -> a shown MainWindow reading the test settings; closed at teardown."""
    from savsr_app.window.main_window import MainWindow
    windows = []

    def make():
        w = MainWindow()
        w.confirm_close = lambda _question: True
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        if w.isVisible():
            w.close()


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def small_segments(monkeypatch):
    """Segments of ``SEGMENT`` frames, so that a 24-frame clip has several."""
    import engine.render.renderer
    monkeypatch.setattr(engine.render.renderer, "default_segment_frames", lambda fps: SEGMENT)
