"""Fine-tuning writes a loadable model, reports before/after on held-out frames, never touches its base."""
from __future__ import annotations

import hashlib

import pytest

from engine import load_model
from engine.cli import main as cli_main
from engine.errors import SavsrError
from engine.train.finetune import FinetuneSettings, finetune, train_state_path


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def footage(footage_dir, tmp_path_factory):
    """A short real clip: 12 frames of BasketballPass cut to 96x128 (the fine-tune reads it whole)."""
    import av

    from engine.train import load_clip
    clip = load_clip(footage_dir, max_frames=12)
    folder = tmp_path_factory.mktemp("footage") / "court"
    folder.mkdir()
    for i, f in enumerate(clip.frames[:, :, 60:156, 120:248]):
        frame = av.VideoFrame.from_ndarray(f.permute(1, 2, 0).contiguous().numpy(), format="rgb24")
        with av.open(str(folder / f"{i:03d}.png"), "w", format="image2") as out:
            s = out.add_stream("png")
            s.width, s.height, s.pix_fmt = 128, 96, "rgb24"
            for p in s.encode(frame):
                out.mux(p)
            for p in s.encode():
                out.mux(p)
    return folder


@pytest.fixture
def bundled(small_model_file, tmp_path, monkeypatch):
    """A stand-in for the bundled model (the small test network), where the engine looks for it."""
    import shutil

    import engine.train.finetune as ft
    path = tmp_path / "resources" / "savsr_studio_default.safetensors"
    path.parent.mkdir()
    shutil.copy(small_model_file, path)
    monkeypatch.setattr(ft, "default_model_path", lambda: path)
    return path


def test_finetune_writes_a_loadable_model_and_leaves_the_bundled_file_alone(footage, bundled, tmp_path):
    before_hash = sha256(bundled)
    out = tmp_path / "tuned.safetensors"
    events = []
    settings = FinetuneSettings(scales=[[2.0, 2.0]], patch=12, batch=2, val_frames=1, val_crop=64, val_every=2)
    res = finetune([footage], out, minutes=None, steps=4, settings=settings, device="cpu", progress=events.append)
    assert res["step"] == 4 and res["model"] == out.resolve()
    model = load_model(out)
    assert model.metadata["steps"] == 4 and model.metadata["base_model"] == "parity-small (test)"
    assert model.metadata["psnr_before"]["psnr"] == pytest.approx(res["before"][0]["psnr"])
    assert isinstance(res["gain_db"], float)
    assert {e["kind"] for e in events} >= {"train", "val", "checkpoint"}
    assert train_state_path(out).is_file()
    # an interrupted fine-tune continues from its state file
    res2 = finetune([footage], out, minutes=None, steps=2, settings=settings, device="cpu", resume=True)
    assert res2["step"] == 6 and res2["before"] == res["before"]
    assert sha256(bundled) == before_hash
    with pytest.raises(SavsrError, match="must not overwrite"):
        finetune([footage], bundled, steps=1, device="cpu")
    assert sha256(bundled) == before_hash


def test_finetune_command_line(footage, small_model_file, tmp_path, capsys):
    out = tmp_path / "cli.pt"
    rc = cli_main(["finetune", str(footage), "-o", str(out), "--base", str(small_model_file), "--steps", "2",
                   "--patch", "12", "--batch", "2", "--scales", "1.5x2", "--quiet"])
    assert rc == 0
    assert "held-out frames" in capsys.readouterr().out
    assert load_model(out).metadata["scales"] == [[2.0, 1.5]]  # WxH on the command line, (s_h, s_w) inside
    assert cli_main(["finetune", str(footage), "-o", str(tmp_path / "x.pt"), "--base", str(small_model_file),
                     "--steps", "1", "--patch", "64", "--scales", "4"]) == 1


def test_halved_targets_train_on_the_frames_downscaled_by_two(footage, small_model_file, tmp_path):
    from engine.train import load_clip
    from engine.train.finetune import halved
    clip = load_clip(footage)
    small = halved(clip)
    assert small.frames.shape[-2:] == (48, 64) and small.frames.dtype == clip.frames.dtype
    out = tmp_path / "halved.safetensors"
    assert cli_main(["finetune", str(footage), "-o", str(out), "--base", str(small_model_file), "--steps", "2",
                     "--patch", "12", "--batch", "2", "--targets", "halved", "--quiet"]) == 0
    assert load_model(out).metadata["targets"] == "halved"


def test_a_finetune_gives_way_while_a_preview_computes(footage, bundled, tmp_path):
    """The app's preview goes first: no training step starts while a preview computes, and the
    minutes asked for are minutes of training, not of waiting."""
    import threading

    from helpers.giving_way import held_during_a_preview

    from engine.foreground import foreground
    settings = FinetuneSettings(scales=[[2.0, 2.0]], patch=12, batch=2, val_frames=1, val_crop=64, val_every=0)
    steps, result = [], {}
    worker = threading.Thread(target=lambda: result.update(finetune(
        [footage], tmp_path / "tuned.safetensors", minutes=None, steps=6, settings=settings, device="cpu",
        progress=lambda e: steps.append(e["step"]) if e["kind"] == "train" else None)))
    waited = foreground.yielded
    worker.start()
    held_during_a_preview(lambda: steps[-1] if steps else 0)        # a preview computes for a second
    worker.join(120)
    assert result["step"] == 6 and foreground.yielded - waited > 0.5
