"""The fine-tuned model library, fine-tune run folders and the guard rails (no Qt, no training)."""
from __future__ import annotations

import pytest

from engine import SAVSR, SAVSRConfig, save_model
from engine.train.finetune_checks import FootageFacts, check_request
from engine.train.finetune_store import LibraryError, ModelLibrary, RunStore, safe_name

TINY = SAVSRConfig(num_feat=16, w1_num_block=1, w2_num_block=1, n_resgroups=1, n_resblocks=1)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    meta = {"base_model": "studio", "footage": ["court.mp4"], "scales": [[2.0, 2.0]], "steps": 7,
            "psnr_before": {"psnr": 30.0}, "psnr_after": {"psnr": 30.5}, "date": "2026-01-02T03:04:05+00:00"}
    return save_model(SAVSR(**TINY.to_dict()), tmp_path_factory.mktemp("m") / "tuned.safetensors", meta)


def test_library_adds_renames_and_deletes_only_its_own_files(model_file, tmp_path):
    import shutil
    lib = ModelLibrary(tmp_path / "lib")
    assert lib.models() == []
    src = tmp_path / "x.safetensors"
    shutil.copy(model_file, src)
    first = lib.add(src, "Show: season 1")
    assert first.name == "Show_ season 1.safetensors" and not src.exists()
    shutil.copy(model_file, src)
    second = lib.add(src, "Show: season 1")
    assert second.name == "Show_ season 1 (2).safetensors"
    [a, b] = lib.models()
    assert a.meta["steps"] == 7 and a.psnr_after - a.psnr_before == pytest.approx(0.5)
    renamed = lib.rename(first, "pilot")
    assert renamed.name == "pilot.safetensors" and not first.exists()
    with pytest.raises(LibraryError, match="not in the fine-tuned model library"):
        lib.delete(model_file)
    assert model_file.exists()
    lib.delete(renamed)
    assert [m.name for m in lib.models()] == ["Show_ season 1 (2)"]


def test_library_refuses_the_bundled_model(tmp_path):
    from engine.resources import default_model_path
    bundled = default_model_path()
    if bundled is None:
        pytest.skip("no bundled model installed")
    lib = ModelLibrary(bundled.parent)      # even a library pointed at the resources folder
    with pytest.raises(LibraryError, match="bundled"):
        lib.delete(bundled)
    with pytest.raises(LibraryError, match="bundled"):
        lib.rename(bundled, "mine")
    assert bundled.is_file()


def test_runs_remember_the_request_and_what_is_left(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create({"name": "court", "footage": ["/x/court.mp4"], "minutes": None, "steps": 50})
    assert store.interrupted() == []                   # nothing to resume before a checkpoint
    run.state_file.write_bytes(b"state")
    run.record_checkpoint(20, 12.5)
    again = store.get(run.id)
    assert again.doc["step"] == 20 and again.remaining() == (None, 30)
    assert [r.id for r in store.interrupted()] == [run.id]
    run.log_file.write_text('{"kind": "train", "step": 10, "loss": 0.1}\nnot json\n', encoding="utf-8")
    assert again.log() == [{"kind": "train", "step": 10, "loss": 0.1}]
    store.remove(run)
    assert store.interrupted() == [] and not run.folder.exists()


def test_guard_rails_explain_short_small_footage_and_low_disk(tmp_path, monkeypatch):
    ok = FootageFacts("/c/a.mp4", "a.mp4", 40, 416, 240)
    assert check_request([ok], patch=32, scale_high=2.5, holdout=0.1, out_folder=tmp_path) == []
    short = FootageFacts("/c/b.mp4", "b.mp4", 2, 416, 240)
    small = FootageFacts("/c/s.mp4", "s.mp4", 40, 64, 48)
    text = "\n".join(check_request([short, small], patch=32, scale_high=2.5, holdout=0.1, out_folder=tmp_path))
    assert "b.mp4 is too short: 2 frame(s)" in text
    assert "s.mp4 is too small for the chosen scale" in text and "needs 80 pixels" in text
    assert check_request([], patch=32, scale_high=2.0, holdout=0.1, out_folder=tmp_path)[0].startswith("Add at least")
    import engine.train.finetune_checks as checks
    monkeypatch.setattr(checks, "free_bytes", lambda _folder: 50 * 2**20)
    [msg] = check_request([ok], patch=32, scale_high=2.5, holdout=0.1, out_folder=tmp_path)
    assert msg.startswith("Low disk space: 50 MB free")


def test_safe_name_keeps_names_readable():
    assert safe_name("  my/show*  ") == "my_show_"
    assert safe_name("...") == "fine-tuned model"
