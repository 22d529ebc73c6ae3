"""``auto`` precision: which backend and arithmetic compute a model on this machine, decided once.

:func:`choose` turns a request (backend and precision, either ``auto``) into a :class:`Choice`. On a
CPU, ``auto`` precision times every precision the runtime computes natively (OpenVINO's
``OPTIMIZATION_CAPABILITIES``: fp32, bf16 on CPUs with avx512_bf16 or AMX, fp16 with AMX-FP16) on a
real window (:mod:`engine.backends.window`) of the first tile shape the caller needs, so the graph it
exports is one the work uses (a shape under :data:`MIN_TIMED_PIXELS` is too small to time: the sample's
whole frame, :data:`WINDOW_HW`, is timed instead), and keeps the fastest
whose output stays at least :data:`~engine.backends.precision.MIN_PSNR` dB (Y-PSNR) from torch fp32;
one that does not is passed over with a note. On CUDA it is fp16 (coordinates stay fp32, see
:mod:`engine.backends.precision`). Torch on a CPU is the reference and computes in fp32.

The decision is stored next to the model's graphs, keyed by the runtime, its version, the device
type and :func:`~engine.backends.precision.machine_key` (so another CPU decides again), and written
once: the first writer wins and every process reads the same file. A render resolves it into its
job at plan time (:mod:`engine.render.compute`); its workers, its preview and its resumed runs use
that result and never time anything.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import cache, int8
from .precision import MIN_PSNR, graph_threads, machine_key, torch_precisions
from .runtimes import AUTO_ORDER, RUNTIMES
from .window import window_name

WINDOW_HW = (180, 320)      # the timed window when the caller's shape is too small: the sample's whole frame
MIN_TIMED_PIXELS = 96 * 160
TIMED_SCALE = (2.0, 2.0)
ROUNDS = 4                  # calls per candidate, taken in turn; the best counts (the first warms up)
NAMES = {"torch": "PyTorch", "openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}
_deciding = threading.Lock()  # the preview and a render of one process never decide at once


@dataclass(frozen=True)
class Choice:
    """What computes the network: ``backend`` (torch or a runtime) in ``precision`` (fp32, bf16, fp16).

    ``reason``: why ``auto`` chose it (``""`` when it was asked for); ``timings``: seconds per timed
    window of each candidate that passed the gate, when ``auto`` measured."""
    backend: str
    precision: str
    reason: str = ""
    timings: dict = field(default_factory=dict, compare=False)

    def describe(self, device: torch.device | str = "cpu") -> str:
        """``CPU · OpenVINO bf16``."""
        where = "CPU" if torch.device(device).type == "cpu" else "GPU"
        return f"{where} · {NAMES.get(self.backend, self.backend)} {self.precision}"


_network: list = []     # the network class candidates are timed on (engine.backends.accelerated registers it)


def register_network(cls) -> None:
    """Name the class :func:`decide` builds each candidate with (``cls(model, backend, device, precision,
    note=...)``); :mod:`engine.backends.accelerated` registers its ``Accelerated`` when it loads."""
    _network[:] = [cls]


def candidates(backend: str, device: torch.device) -> tuple[str, ...]:
    """The precisions ``auto`` considers for ``backend`` on ``device``, fp32 first."""
    if backend == "torch":
        return torch_precisions(device) if device.type == "cuda" else ("fp32",)
    return RUNTIMES[backend].precisions(device)


def runtimes_for(backend: str, device: torch.device) -> list[str]:
    """``backend`` itself, or for ``auto`` the installed runtimes in ``AUTO_ORDER`` that run on ``device``."""
    if backend != "auto":
        return [backend]
    return [n for n in AUTO_ORDER.get(device.type, ()) if RUNTIMES[n].installed() and RUNTIMES[n].supports(device)]


def choose(model, device: torch.device | str, backend: str = "auto", precision: str = "auto",
           note: Callable[[str], None] | None = None, measure: bool = True, shape=None,
           later: bool = False) -> Choice | None:
    """The backend and precision that compute ``model`` on ``device`` for this request.

    Explicit values are kept (``auto`` backend with an explicit precision: the first runtime of
    ``AUTO_ORDER`` that computes it, else torch). ``auto`` precision uses the stored decision, or
    decides now (export, compile and time each candidate: tens of seconds, once per machine, model
    and runtime) on ``shape = (t, h, w)`` (the first tile shape the caller needs; ``None``: the
    sample's frame); with ``measure=False`` a missing decision gives ``None`` instead. ``note(msg)``
    hears about a runtime that failed in every precision. ``later`` (the app's preview): a candidate
    that needs minutes of preparation (int8) is prepared in the background, then the decision is
    taken again (:func:`finish_later`); until then it is not counted.
    """
    device = torch.device(device)
    note = note or (lambda _msg: None)
    if precision != "auto":
        names = [n for n in runtimes_for(backend, device) if n == "torch" or precision in candidates(n, device)]
        return Choice(names[0] if names else "torch", precision)
    if device.type == "cuda":
        order = [*runtimes_for(backend, device), "torch"] if backend == "auto" else [backend]
        name = next((n for n in order if "fp16" in candidates(n, device)), order[0])
        if "fp16" in candidates(name, device):
            return Choice(name, "fp16", "auto: fp16 on a GPU, coordinates in fp32")
        return Choice(name, "fp32", f"auto: {name} computes only fp32 here")
    names = runtimes_for(backend, device) if backend != "torch" else []
    for name in names:
        found = decided(model, name, device, note, measure, shape, later)
        if found is None and not measure and read_decision(model, name, device) is None:
            return None
        if found is not None:
            return found
    return Choice("torch", "fp32", "" if backend == "torch" else "auto: no compiled backend")


def decided(model, name: str, device: torch.device, note: Callable[[str], None],
            measure: bool = True, shape=None, later: bool = False) -> Choice | None:
    """The stored decision for runtime ``name``, or a new one (stored; only with ``measure``);
    ``None`` when no candidate passed the gate (the runtime does not work here) or none is stored."""
    options = candidates(name, device)
    if len(options) == 1:
        return Choice(name, options[0], f"auto: {name} computes only {options[0]} here")
    if not measure:
        stored = read_decision(model, name, device)
        return from_record(name, stored) if stored else None
    with _deciding:
        stored = read_decision(model, name, device)
        if stored is None:
            stored = store_decision(model, name, device, decide(model, name, device, options, note, shape))
    if later and any(r.get("pending") for r in stored["candidates"].values()):
        finish_later(model, name, device, note, stored)
    return from_record(name, stored)


def from_record(name: str, record: dict) -> Choice | None:
    """The :class:`Choice` a stored decision names (``None``: no candidate passed there)."""
    best = record.get("precision")
    if not best:
        return None
    results = record.get("candidates", {})
    timed = {p: r["seconds"] for p, r in results.items() if r.get("passed") and r.get("seconds")}
    words = ["auto: the fastest that holds on this machine"]
    if best != "fp32" and timed.get("fp32") and timed.get(best):
        words.append(f"{timed['fp32'] / timed[best]:.2f}x fp32's speed")
    psnr = results.get(best, {}).get("psnr")
    if best != "fp32" and isinstance(psnr, float):
        words.append(f"{psnr:.1f} dB against fp32")
    words += [f"{p} passed over: {r.get('why', 'refused')}" for p, r in results.items()
              if not r.get("passed") and not r.get("pending")]
    words += [f"{p} {r['why']}" for p, r in results.items() if r.get("pending")]
    return Choice(name, best, "; ".join([", ".join(words[:3]), *words[3:]]), timed)


def timed_shape(model, shape=None) -> tuple[int, int, int]:
    """The window :func:`decide` times: ``shape`` when it is large enough, else the sample's frame."""
    t = getattr(model, "num_frame", 7)
    if shape is not None and shape[1] * shape[2] >= MIN_TIMED_PIXELS:
        return (t, int(shape[1]), int(shape[2]))
    return (t, *WINDOW_HW)


def decide(model, name: str, device: torch.device, options, note: Callable[[str], None], shape=None) -> dict:
    """Time each of ``options`` for runtime ``name`` on a real window; the record to store."""
    from .window import check_inputs
    Accelerated = _network[0]
    window = timed_shape(model, shape)
    lr, _code = check_inputs(window)
    lr = lr.to(device)
    results, ready, t0 = {}, {}, time.monotonic()
    for precision in options:
        if precision in LATER and not LATER[precision](model, window):
            results[precision] = {"passed": False, "pending": True, "why": "not prepared yet (the app does it "
                                  "in the background, then decides again)"}
            continue
        refused: list[str] = []
        acc = Accelerated(model, name, device, precision, note=refused.append)
        done = acc.prepare(*window[1:])
        if acc.backend != name or done is None or done.precision != precision:
            why = refused[0].split(" (", 1)[-1][:-1] if refused else "did not prepare"
            if done is not None and refused:    # int8 outside the gate: its shape fell back to the fp32 graph
                why = refused[-1].split(": ", 2)[-1].split("; the fp32", 1)[0]
            results[precision] = {"passed": False, "why": why[:200]}
            continue
        ready[precision] = acc
        results[precision] = {"passed": True, "psnr": done.psnr, "max_diff": done.max_diff}
    best_of = {p: float("inf") for p in ready}
    with torch.no_grad():
        # interleaved: a busy moment of the machine hits every candidate; one candidate: nothing to compare
        for _ in range(ROUNDS if len(ready) > 1 else 0):
            for precision, acc in ready.items():
                best_of[precision] = min(best_of[precision],
                                         time_candidate(name, precision, lambda acc=acc: acc(lr, TIMED_SCALE)))
    for precision, seconds in best_of.items():
        results[precision]["seconds"] = seconds if seconds < float("inf") else None
    passed = {p: r["seconds"] for p, r in results.items() if r["passed"]}
    best = min(passed, key=lambda p: passed[p] or 0.0) if passed else None
    if best is None:
        note(f"auto precision: {name} failed in every precision here")
    return {"backend": name, "precision": best, "candidates": results, "window": [*window[1:], window_name()],
            "threads": graph_threads(), "min_psnr": MIN_PSNR, "seconds": round(time.monotonic() - t0, 1),
            "decided": time.strftime("%Y-%m-%d %H:%M:%S")}


def _int8_ready(model, window) -> bool:
    return int8.ready(cache.any_size_graph(cache.model_digest(model), window))


LATER = {"int8": _int8_ready}   # candidates timed only once prepared (quantizing takes minutes)
_later: set = set()             # (model digest, runtime) whose background preparation has started


def finish_later(model, name: str, device: torch.device, note: Callable[[str], None], stored: dict) -> None:
    """On a background thread: prepare the pending candidates of the ``stored`` decision (quantize the
    network for the window it timed), then decide again with every candidate and replace the stored
    decision. Once per model and runtime in a process; what computes meanwhile is the stored decision."""
    key = (cache.model_digest(model), name)
    if key in _later:
        return
    _later.add(key)
    window = (getattr(model, "num_frame", 7), *stored["window"][:2])
    pending = [p for p, r in stored["candidates"].items() if r.get("pending")]

    def work():
        try:
            for precision in pending:
                _network[0](model, name, device, precision, note=note).prepare(*window[1:])
            with _deciding:
                record = decide(model, name, device, candidates(name, device), note, window)
                if not any(r.get("pending") for r in record["candidates"].values()):
                    replace_decision(model, name, device, record)
        except Exception as exc:    # the stored decision stands; the next start of the app tries again
            note(f"preparing {', '.join(pending)} in the background failed: {type(exc).__name__}: {exc}"[:300])
    threading.Thread(target=work, daemon=True, name=f"savsr-later-{name}").start()


def time_candidate(name: str, precision: str, call: Callable[[], object]) -> float:
    """Seconds of one ``call`` (the timing hook tests replace)."""
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


# ---- storage ---------------------------------------------------------------------------------

def decision_path(model, name: str, device: torch.device) -> Path:
    digest = cache.model_digest(model)
    version = RUNTIMES[name].version() if name in RUNTIMES else torch.__version__
    version = version.split("+")[0].replace("/", "_")   # OpenVINO's has slashes in it
    return cache.cache_root() / "graphs" / digest / f"auto-{name}-{version}-{device.type}-{machine_key()}.json"


def read_decision(model, name: str, device: torch.device) -> dict | None:
    data = cache.read_json(decision_path(model, name, device))
    return data if data.get("backend") == name and "candidates" in data else None


def store_decision(model, name: str, device: torch.device, record: dict) -> dict:
    """Write ``record`` unless another process stored one first; the stored one either way."""
    path = decision_path(model, name, device)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(record, f, indent=1)
    try:
        os.link(tmp, path)                  # fails if it exists: the first decision stands
    except FileExistsError:
        pass
    except OSError:                         # a file system without hard links
        if not path.exists():
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return read_decision(model, name, device) or record


def replace_decision(model, name: str, device: torch.device, record: dict) -> None:
    """Overwrite the stored decision (a pending candidate was prepared and timed since)."""
    cache.write_json(decision_path(model, name, device), record)


def latest_decision(device: torch.device | str = "cpu") -> Choice | None:
    """The most recent decision stored on this machine for ``device`` (any model): the status bar's
    answer to 'what does auto use here'."""
    device = torch.device(device)
    root = cache.cache_root() / "graphs"
    try:
        files = sorted(root.glob(f"*/auto-*-{device.type}-{machine_key()}.json"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    for path in reversed(files):
        record = cache.read_json(path)
        choice = from_record(record.get("backend", ""), record) if record.get("backend") else None
        if choice is not None:
            return choice
    return None
