"""Exporting the LR stage to ONNX: in this process or in a spawned child (the app's way, so its UI
thread never waits for TorchScript's tracer). One graph of any height and width per parity."""
from __future__ import annotations

import warnings

import torch

from ..errors import SavsrError
from .graph import LRStage
from .window import check_inputs


def export_in_child(model, shape, path):
    """:func:`export_lr_stage` in a spawned process (same result, the parent's interpreter stays free)."""
    import multiprocessing
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory(prefix="savsr-export-") as tmp:
        src, ref = Path(tmp) / "model.pt", Path(tmp) / "reference.pt"
        torch.save({"config": model.config.to_dict(), "state": model.state_dict(), "fast": bool(model.fast)}, src)
        child = multiprocessing.get_context("spawn").Process(
            target=_export_child, args=(str(src), tuple(shape), str(path), str(ref)), daemon=True,
            name="savsr-export")
        child.start()
        child.join()
        if child.exitcode != 0 or not path.is_file() or not ref.is_file():
            raise SavsrError(f"the export process failed (exit code {child.exitcode})")
        return tuple(torch.load(ref, weights_only=True))


def _export_child(src: str, shape, path: str, ref: str):
    from pathlib import Path

    from ..arch import SAVSR
    torch.set_num_threads(1)
    saved = torch.load(src, weights_only=True)
    model = SAVSR(**saved["config"])
    model.load_state_dict(saved["state"])
    model.use_fast_path(saved["fast"]).eval()
    torch.save(list(export_lr_stage(model, shape, Path(path))), ref)


def export_lr_stage(model, shape, path):
    """Trace the LR stage at ``shape = (t, h, w)`` to an ONNX file of any height and width of the same
    parity (atomic: written, then renamed).

    The trace runs on the accuracy check's window; its outputs are returned, so the check needs no
    second torch run."""
    import os
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    device = next(model.parameters()).device
    lr, code = (x.to(device) for x in check_inputs(shape))
    stage, outputs = LRStage(model), []
    hook = stage.register_forward_hook(lambda _m, _i, out: outputs.append(tuple(o.detach().clone() for o in out)))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(stage, (lr, code), str(tmp), input_names=["lr", "code"],
                              output_names=["feat", "aligned", "st"], opset_version=17, dynamo=False,
                              dynamic_axes={"lr": {3: "h", 4: "w"},
                                            **{o: {2: "h", 3: "w"} for o in ("feat", "aligned", "st")}})
        os.replace(tmp, path)
    finally:
        hook.remove()
        model.train(was_training)
        tmp.unlink(missing_ok=True)
    return outputs[-1] if outputs else None
