"""``auto`` precision: the fastest candidate that passes the accuracy gate on real footage, decided once
per machine, model and runtime, stored, and used alike by a render, its workers, its resumed run and
the preview (whose tiles are then the render's pixels, bit for bit)."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers.clipmaker import decoded_frames, make_clip

from engine.backends import Accelerated, choice
from engine.backends import accelerated as acc_module
from engine.backends.precision import cpu_has_bf16
from engine.backends.runtimes import RUNTIMES
from engine.backends.window import check_inputs, window_name
from engine.models.checkpoint import load_model
from engine.preview.tiles import PreviewGrid, Region, upscale_tile
from engine.render import compute
from engine.render.frame_windows import window_indices
from engine.render.job import RenderJob
from engine.render.placement import Placement
from engine.render.plan import plan
from engine.render.renderer import render
from engine.resources import sample_clip_path
from engine.video import probe, read_frames

pytestmark = [pytest.mark.usefixtures("one_torch_thread", "fresh_cache"),
              pytest.mark.skipif(not RUNTIMES["openvino"].installed(), reason="openvino is not installed")]

CANDIDATES = ("fp32", "bf16")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def bf16_here(monkeypatch):
    """OpenVINO offers fp32 and bf16 whatever this CPU is (without native bf16 it computes fp32 for a
    bf16 hint), and the decision times a small window: the choice logic is tested on any CPU."""
    monkeypatch.setattr(RUNTIMES["openvino"], "precisions", lambda device: CANDIDATES)
    monkeypatch.setattr(choice, "WINDOW_HW", (24, 32))


@pytest.fixture
def model(small_model_file):
    return load_model(small_model_file, torch.device("cpu")).eval()


def fastest(winner: str, timed: list):
    """A timing hook under which ``winner`` is the fastest candidate."""
    def hook(name, precision, call):
        call()                                  # the candidate still runs
        timed.append(precision)
        return 1.0 if precision == winner else 2.0 + CANDIDATES.index(precision)
    return hook


@pytest.mark.parametrize("winner", CANDIDATES)
def test_auto_keeps_the_fastest_candidate(winner, model, bf16_here, monkeypatch):
    timed = []
    monkeypatch.setattr(choice, "time_candidate", fastest(winner, timed))
    picked = choice.choose(model, "cpu", "auto", "auto")
    assert (picked.backend, picked.precision) == ("openvino", winner)
    assert set(timed) == set(CANDIDATES)
    assert Accelerated(model, "auto", "cpu", "auto").runner((7, 24, 32))[0] == "openvino"


def test_the_decision_is_stored_and_never_timed_again(model, bf16_here, monkeypatch):
    monkeypatch.setattr(choice, "time_candidate", fastest("bf16", []))
    first = choice.choose(model, "cpu")

    def timed_again(*_args):
        raise AssertionError("timed again")
    monkeypatch.setattr(choice, "time_candidate", timed_again)
    again = Accelerated(load_model_like(model), "auto", "cpu", "auto")
    again.resolve()
    assert (again.requested, again.precision) == (first.backend, first.precision) == ("openvino", "bf16")
    assert choice.choose(model, "cpu", measure=False) == first


def load_model_like(model):
    """Another instance with the same weights (another process would load the same file)."""
    twin = type(model)(**model.config.to_dict())
    twin.load_state_dict(model.state_dict())
    return twin.eval()


def test_a_candidate_under_the_gate_is_passed_over_with_a_note(model, bf16_here, monkeypatch):
    monkeypatch.setattr(choice, "time_candidate", fastest("bf16", []))
    check = acc_module.against_torch
    # bf16 at 45 dB: a CPU without bf16 computes fp32 for OpenVINO's bf16 hint (infinite dB), so the
    # gate is shown a reduced-precision result it must refuse
    monkeypatch.setattr(acc_module, "against_torch", lambda *a, **k: (check(*a, **k)[0], 45.0))
    picked = choice.choose(model, "cpu")
    assert picked.precision == "fp32"
    assert "bf16 passed over" in picked.reason and "bf16 is 45.0 dB from torch fp32 on real footage" in picked.reason


def test_the_gate_judges_real_footage():
    assert window_name() == "sample"
    lr, code = check_inputs((7, 24, 32))
    frames = np.stack(read_frames(probe(sample_clip_path()), range(30, 37)))       # 180 x 320
    assert torch.equal(lr[0].permute(0, 2, 3, 1), torch.from_numpy(frames[:, 78:102, 144:176]))
    big, _ = check_inputs((7, 200, 330))                                           # mirrored at the edges
    assert big.shape == (1, 7, 3, 200, 330) and float(big.std()) > 0.1


def test_a_short_render_decides_once_for_all_its_workers(tmp_path, small_model_file):
    """A 24-frame clip is too short to repay a graph: one worker and two render it on torch alike
    (two workers used to pick OpenVINO on their own), and say so."""
    clip = make_clip(tmp_path / "clip.mp4", count=24, size=(48, 32), audio=None)
    outs = {}
    for workers in (1, 2):
        notes = []
        job = RenderJob(str(clip), str(tmp_path / f"{workers}.mkv"), codec="ffv1", model=str(small_model_file),
                        device="cpu")
        render(job, log=notes.append, segment_frames=12, placement=Placement(workers, 1))
        said = [n for n in notes if n.startswith("computing on")]
        assert said == ["computing on CPU · PyTorch fp32 (auto: 24 frames do not repay preparing a compiled graph)"]
        assert not any("preparing the network" in n for n in notes)
        outs[workers] = [f.to_ndarray() for f in decoded_frames(tmp_path / f"{workers}.mkv")]
    assert all(np.array_equal(a, b) for a, b in zip(outs[1], outs[2]))


def preview_frame(job, index, net):
    p = plan(job, check_output=False)
    grid = PreviewGrid.from_plan(p, job.tile)
    frames = read_frames(p.info, window_indices(index, p.info.frame_count, 7))
    W, H = grid.display_size
    out = np.zeros((H, W, 3), np.uint8)
    for i in grid.tiles_for(Region(0, 0, W, H)):
        b = grid.display_box(i)
        out[b.y:b.y + b.h, b.x:b.x + b.w] = upscale_tile(net, frames, grid, i)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_the_preview_shows_the_pixels_the_render_writes_in_the_chosen_precision(workers, tmp_path, model,
                                                                                small_model_file, bf16_here,
                                                                                monkeypatch):
    """The preview decides (bf16 made the fastest), prepares the render's tile shapes, and a short render
    then computes with the same graphs in the same precision and thread count: the same pixels, also
    from worker processes of one torch thread each (a bf16 graph's sums depend on its threads)."""
    if workers > 1 and not cpu_has_bf16():
        # bf16_here's offer lives in this process only: a worker asks OpenVINO itself, which computes
        # no bf16 here, and rightly falls back; a decision stored on this machine never says bf16
        pytest.skip("bf16 in worker processes needs a CPU with bf16 (avx512_bf16 or AMX)")
    monkeypatch.setattr(choice, "time_candidate", fastest("bf16", []))
    clip = make_clip(tmp_path / "clip.mp4", count=4, size=(80, 48), audio=None)
    job = RenderJob(str(clip), str(tmp_path / "frames"), scale_w=2.0, scale_h=1.5, codec="png",
                    model=str(small_model_file), device="cpu", tile=48)
    net = Accelerated(model, job.backend, "cpu", job.precision)    # what the app's preview builds
    threads = torch.get_num_threads()
    torch.set_num_threads(2)                    # the app's preview: torch's default threads
    try:
        mine = preview_frame(job, 1, net)
    finally:
        torch.set_num_threads(threads)
    assert (net.requested, net.precision, net.backend) == ("openvino", "bf16", "openvino")
    notes = []
    render(job, log=notes.append, segment_frames=2, placement=Placement(workers, 1))
    assert any(n.startswith("computing on CPU · OpenVINO bf16") and "graphs are in the cache" in n
               for n in notes), notes
    frame = decoded_frames(tmp_path / "frames" / "frame_000002.png")[0].to_ndarray(format="rgb24")
    assert np.array_equal(mine, frame)


@dataclasses.dataclass(frozen=True)
class Planned:
    """What :func:`engine.render.compute.resolve` reads of a plan."""
    job: RenderJob
    frame_count: int = 60


def test_a_resumed_render_computes_as_the_interrupted_one(model, monkeypatch):
    def decide(*_args, **_kwargs):
        raise AssertionError("decided again")
    monkeypatch.setattr(compute, "choose", decide)
    saved = []
    work = SimpleNamespace(manifest={"compute": {"backend": "openvino", "precision": "bf16"}}, frames_done=12,
                           save=lambda: saved.append(1))
    notes = []
    resolved = compute.resolve(Planned(RenderJob("in.mp4", "out.mkv")), work, model, torch.device("cpu"),
                               lambda text, **event: notes.append((text, event)))
    assert (resolved.job.backend, resolved.job.precision) == ("openvino", "bf16") and not saved
    assert notes == [("computing on CPU · OpenVINO bf16 (resumed: as the frames already rendered)",
                      {"kind": "computing", "words": "CPU · OpenVINO bf16"})]


def test_info_system_names_what_auto_uses_here(small_model_file, bf16_here, monkeypatch, capsys):
    from engine.backends.precision import fast_flags
    from engine.cli import main
    monkeypatch.setattr(choice, "time_candidate", fastest("bf16", []))
    assert main(["info", "--system", "--model", str(small_model_file), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(" ".join(fast_flags()) or "no bf16/int8 instructions")
    assert "openvino   " in out and "\nauto       CPU · OpenVINO bf16 for the " in out


def test_a_precision_the_cpu_lacks_is_one_line(tmp_path, small_model_file, monkeypatch, capsys):
    from engine.backends import runtimes
    from engine.cli import main
    monkeypatch.setattr(runtimes, "cpu_capabilities", lambda: ("fp32",))
    clip = make_clip(tmp_path / "clip.mp4", count=2, size=(32, 24), audio=None)
    assert main(["upscale", str(clip), "--scale", "2", "-o", str(tmp_path / "o.mkv"), "--device", "cpu",
                 "--precision", "fp16", "--model", str(small_model_file)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fp16 cannot run on the CPU: this CPU has no fp16 arithmetic" in err
