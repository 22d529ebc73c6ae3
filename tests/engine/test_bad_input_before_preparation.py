"""A clip whose stream is damaged at its start fails before the network is prepared: the user reads one
line (the error), not "preparing the network ..." first, and nothing is exported, compiled or left behind."""
from __future__ import annotations

import pytest
from helpers.clipmaker import write_damaged_stream

from engine.backends.runtimes import RUNTIMES
from engine.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("placement", [[], ["--workers", "2", "--threads", "1"]], ids=["one process", "workers"])
def test_a_damaged_stream_gives_its_error_alone_before_any_graph_is_prepared(placement, small_model_file, tmp_path,
                                                                            monkeypatch, capsys):
    if not RUNTIMES["openvino"].installed():
        pytest.skip("OpenVINO is not installed")
    cache = tmp_path / "cache"
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(cache))
    src = write_damaged_stream(tmp_path / "damaged.mp4")
    rc = main(["upscale", str(src), "-o", str(tmp_path / "out.mp4"), "--scale", "2", "--model",
               str(small_model_file), "--device", "cpu", "--backend", "openvino", *placement])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("savsr: error: damaged.mp4: the video stream is damaged") and err.count("\n") == 1, err
    assert not (cache / "graphs").exists()                  # no export, no compile
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.mp4"]
