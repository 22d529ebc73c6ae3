"""``Accelerated``: the network behind a backend, called like the model itself.

``Accelerated(model, "auto", device, "auto")(lr, scale)`` computes ``model(lr, scale)``. With a
compiled backend, the LR stage (:mod:`engine.backends.graph`) is exported to ONNX once per model (one
graph of any height and width; a second for odd heights or widths, whose padding the trace fixes),
compiled per tile shape and run by a runtime in one precision; the scale is a graph input, so a new
factor costs nothing.
Preparing a shape (export, compile, accuracy check on real footage) is cached on disk; any failure
falls back to ``torch`` with a note, never an error. ``auto`` precision (and ``auto`` backend with it)
takes what :func:`engine.backends.choice.choose` decided for this machine and model.
"""
from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import SavsrError
from ..foreground import Preempted, interrupted
from . import cache, int8
from .choice import choose, register_network
from .export import export_in_child, export_lr_stage
from .graph import LRStage, hr_stage, scale_tensor
from .precision import MIN_PSNR, PRECISIONS, runtime_threads
from .runtimes import AUTO_ORDER, RUNTIMES
from .window import WINDOW_VERSION, against_torch, window_name

BACKENDS = ("auto", "torch", *RUNTIMES)
TOLERANCE = {"fp32": 1e-4}  # max abs difference of the LR stage's outputs from torch's


class BackendError(SavsrError, ValueError):
    """A backend name that does not exist or is not installed."""


class Refused(SavsrError):
    """A graph that works but is not used: outside the accuracy gate, or not made yet (no damaged cache)."""


def check_backend(name: str) -> str:
    """``name`` lower-cased if it is a known, installed backend; else a one-line :class:`BackendError`."""
    key = (name or "auto").strip().lower()
    if key not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}: use {', '.join(BACKENDS)}")
    if key in RUNTIMES and not RUNTIMES[key].installed():
        raise BackendError(f"backend {key} is not installed: pip install \"savsr-studio[fast]\" (or {key})")
    return key


def installed_backends() -> list[str]:
    return ["torch", *(n for n, r in RUNTIMES.items() if r.installed())]


def check_precision(name: str) -> str:
    """``name`` lower-cased if it is a known precision; else a one-line :class:`BackendError`."""
    key = (name or "auto").strip().lower()
    if key not in PRECISIONS:
        raise BackendError(f"unknown precision {name!r}: use {', '.join(PRECISIONS)}")
    return key


@dataclass(frozen=True)
class Prepared:
    """One tile shape made ready: how long it took and whether the disk cache had it."""
    backend: str
    shape: tuple[int, int, int]
    seconds: float
    cached: bool
    max_diff: float = 0.0
    in_child: bool = False      # traced in a child process (see :func:`isolate_exports`)
    precision: str = "fp32"
    psnr: float = float("inf")  # Y-PSNR of the whole network against torch fp32 on the check window, dB


def failure_reason(exc: BaseException) -> str:
    """A runtime's error in one line a user can read: OpenVINO's first line is only a source location
    (``Exception from src/inference/src/cpp/core.cpp:132:``), so such lines are skipped."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    told = [ln for ln in lines if not (ln.startswith("Exception from ") or ln.startswith("[ ") and ln.endswith("]"))]
    text = "; ".join((told or lines)[:2]) or type(exc).__name__
    return text[:200]


class Accelerated:
    """``model`` behind ``backend``; ``self(lr (b, t, 3, h, w), scale) -> (b, 3, H, W)``.

    ``note(msg)`` receives fallbacks. ``precision``: ``fp32``, ``bf16``, ``fp16`` or ``int8`` for the LR
    stage (a compiled graph in that precision, or torch under autocast; int8 is a graph only); the HR
    stage (every coordinate) is always fp32. ``auto`` takes the stored decision for this machine and model
    (:func:`engine.backends.choice.choose`: it may time the candidates once, in the first
    preparation), and with it the backend when that is ``auto`` too. ``background=True`` (the preview): a
    shape not prepared yet runs on torch while a thread prepares it, so a new scale factor or
    viewport never waits for an export. ``preempt`` (background work: a render) is checked during
    the computation; ``later`` (the app's preview; implied by ``background``; only where exports are
    isolated, i.e. in the app): ``auto`` prepares the candidates that take minutes (int8) on a thread
    and decides again (:func:`~engine.backends.choice.choose`).
    When ``preempt`` turns true the call stops with :class:`~engine.foreground.Preempted`
    (torch: within one layer; OpenVINO: within milliseconds; ONNX Runtime: at the end of its graph).
    """

    def __init__(self, model, backend: str = "auto", device: torch.device | str = "cpu", precision: str = "fp32",
                 note: Callable[[str], None] | None = None, background: bool = False, later: bool = False):
        self.model = model
        self.device = torch.device(device)
        self.precision = check_precision(precision)
        self.requested = check_backend(backend)
        self.note = note or (lambda _msg: None)
        self.config, self.num_frame = getattr(model, "config", None), getattr(model, "num_frame", 7)
        self._runners: dict[tuple, tuple[str, Callable]] = {}
        self._digest: str | None = None
        self._last = "torch" if self.requested == "torch" else ""
        self.prepared: list[Prepared] = []
        self.background = background
        self.later = later or background     # auto: prepare slow candidates (int8) in the background (the app)
        self._lock = threading.Lock()
        self._pending: dict[tuple, threading.Thread] = {}
        self._resolving = threading.Lock()
        self.choice = None          # engine.backends.choice.Choice once auto is resolved
        self.preempt: Callable[[], bool] | None = None

    # ---- the call -----------------------------------------------------------------------
    def __call__(self, lr: torch.Tensor, scale) -> torch.Tensor:
        s = (float(scale), float(scale)) if isinstance(scale, (int, float)) else tuple(map(float, scale))
        if lr.shape[0] != 1:
            return torch.cat([self(lr[i:i + 1], s) for i in range(lr.shape[0])])
        name, run = self.runner(tuple(lr.shape[1:2]) + tuple(lr.shape[-2:]))
        stop = self.preempt
        with interrupted(self.model, stop, Preempted) if stop else contextlib.nullcontext():
            if name == "torch" and self._autocast() is None:
                return self.model(lr, s)
            with torch.no_grad():
                feat, aligned, st = run(lr, s, stop) if name != "torch" else run(lr, s)
                return hr_stage(self.model, lr, s, feat, aligned, st)

    @property
    def compiles(self) -> bool:
        """True if a shape may need preparing (a compiled backend is requested and installed)."""
        return bool(self._candidates())

    @property
    def backend(self) -> str:
        """The backend of the last shape prepared (``torch`` after a fallback; ``""`` before any)."""
        return self._last

    def runner(self, shape: tuple[int, int, int]) -> tuple[str, Callable]:
        """``(backend, run(lr, scale) -> (feat, aligned, st))`` for ``shape = (t, h, w)``, prepared on first use."""
        with self._lock:
            if shape in self._runners:
                return self._runners[shape]
        if self.background and self._candidates():
            self._prepare_in_background(shape)
            return "torch", self._torch_stage
        return self._store(shape, self._prepare(shape))

    def _store(self, shape, result):
        with self._lock:
            self._runners[shape] = result
            self._last = result[0]
            self._pending.pop(shape, None)
        return result

    def _prepare_in_background(self, shape):
        with self._lock:
            if shape in self._pending:
                return
            thread = threading.Thread(target=lambda: self._store(shape, self._prepare(shape)), daemon=True,
                                      name=f"savsr-prepare-{shape[1]}x{shape[2]}")
            self._pending[shape] = thread
        thread.start()

    def wait(self, timeout: float | None = None):
        """Wait for background preparations (tests, benchmarks)."""
        for thread in list(self._pending.values()):
            thread.join(timeout)

    def prepare(self, h: int, w: int) -> Prepared | None:
        """Make the ``h x w`` shape ready now (export, compile, check); ``None`` for the torch backend."""
        shape = (self.num_frame, h, w)
        with self._lock:
            if shape in self._runners:
                return None
        self._store(shape, self._prepare(shape))
        return next((d for d in reversed(self.prepared) if d.shape == shape), None)

    # ---- preparing a shape --------------------------------------------------------------
    def _candidates(self) -> list[str]:
        if self.requested == "torch":
            return []
        if self.requested != "auto":
            return [self.requested]
        order = AUTO_ORDER.get(self.device.type, ())
        return [n for n in order if RUNTIMES[n].installed() and RUNTIMES[n].supports(self.device)
                and self.precision in ("auto", *RUNTIMES[n].precisions(self.device))]

    def resolve(self, shape=None):
        """Settle ``auto`` precision (and the backend with it) from the stored decision, deciding once
        (on ``shape = (t, h, w)``, the first shape needed) if there is none; then :attr:`choice` says
        what runs and why. Explicit settings stay as given."""
        if self.precision != "auto":
            return
        with self._resolving:
            if self.precision != "auto":
                return
            self.choice = choose(self.model, self.device, self.requested, "auto", note=self.note, shape=shape,
                                 later=self.later and _isolated)
            self.requested, self.precision = self.choice.backend, self.choice.precision
            if self.requested == "torch":
                self._last = "torch"

    def _prepare(self, shape):
        self.resolve(shape)
        reasons = []
        for name in self._candidates():
            for fresh in (False, True):
                try:
                    return name, self._compiled(name, shape)
                except Exception as exc:  # export, compile or accuracy: any failure means "use torch"
                    damaged = not fresh and not isinstance(exc, Refused)
                    if damaged and self._discard_cached(shape):   # a damaged cache: prepare it afresh once
                        self.note(f"the cached {name} graph for {shape[2]}x{shape[1]} could not be used "
                                  f"({failure_reason(exc)}): preparing it again")
                        continue
                    reasons.append(f"{name}: {failure_reason(exc)}")
                    break
            if self.precision == "int8":        # a shape int8 does not hold (or not yet): the fp32 graph
                with contextlib.suppress(Exception):
                    run = self._compiled(name, shape, "fp32")
                    self.note(f"int8 on {shape[2]}x{shape[1]}: {reasons[-1]}; the fp32 graph computes it")
                    return name, run
        if reasons:
            where = f" {self.precision}" if self.precision != "fp32" else ""
            self.note(f"using the torch backend{where} (" + "; ".join(reasons) + ")")
        return "torch", self._torch_stage

    def _discard_cached(self, shape) -> bool:
        """Remove the cached graph of ``shape`` (all runtimes) and the exported graph it was compiled
        from; whether there was one."""
        folder, exported = cache.graph_dir(self.digest(), shape), self.graph_path(shape)
        if not folder.exists() and not exported.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        exported.unlink(missing_ok=True)
        return True

    def _torch_stage(self, lr, scale):
        with self._autocast() or contextlib.nullcontext():
            return LRStage(self.model)(lr, scale_tensor(scale).to(lr.device))

    def _autocast(self):
        if self.precision in ("fp32", "auto", "int8"):     # int8 exists as a compiled graph only
            return None
        return torch.autocast(self.device.type, dtype=torch.float16 if self.precision == "fp16" else torch.bfloat16)

    def digest(self) -> str:
        if self._digest is None:
            self._digest = cache.model_digest(self.model)
        return self._digest

    def _compiled(self, name: str, shape, precision: str | None = None):
        runtime = RUNTIMES[name]
        if not runtime.supports(self.device):
            raise SavsrError(f"does not run on {self.device}")
        t0 = time.monotonic()
        precision = precision or self.precision
        if precision not in runtime.precisions(self.device):
            raise SavsrError(f"computes no {precision} on this {self.device.type}")
        onnx_path, ref = self.graph_path(shape), None
        if not onnx_path.is_file():
            with _exporting:                # one export at a time in a process; a second shape waits for it
                if not onnx_path.is_file():
                    ref = (export_in_child if _isolated else export_lr_stage)(self.model, shape, onnx_path)
        exported = ref is None              # the graph was there: only this shape's compile and check are new
        if precision == "int8" and not int8.ready(onnx_path):
            if self.choice is not None:     # auto never waits minutes for it: the preview quantizes it later
                raise Refused("its int8 graph is not quantized yet")
            self.note("quantizing the network to int8 (NNCF, once per model: minutes)")
            int8.ensure(onnx_path, shape[0], _isolated)
            exported = False
        blob_dir = self._blob_dir(name, shape, precision)
        threads = runtime_threads(precision)
        run = runtime.load(onnx_path, self.device, threads, blob_dir, precision, shape)
        meta = cache.read_json(blob_dir / "check.json")
        diff, psnr = meta.get("max_diff"), meta.get("psnr")
        if not (exported and self._checked(meta, threads)):
            diff, psnr = against_torch(self.model, self.device, run, shape, ref)
            cache.write_json(blob_dir / "check.json", {
                "max_diff": diff, "psnr": psnr, "window": [WINDOW_VERSION, window_name()],
                "threads": None if precision == "fp32" else threads, "tolerance": TOLERANCE["fp32"],
                "min_psnr": MIN_PSNR})
        if precision == "fp32" and not diff <= TOLERANCE["fp32"]:
            raise SavsrError(f"differs from torch by {diff:.2g} (more than {TOLERANCE['fp32']:g})")
        if precision != "fp32" and not psnr >= MIN_PSNR:
            raise Refused(f"{precision} is {psnr:.1f} dB from torch fp32 on real footage "
                          f"(at least {MIN_PSNR:g} dB needed)")
        seconds = time.monotonic() - t0
        done = Prepared(name, shape, seconds, exported, diff, in_child=_isolated and not exported,
                        precision=precision, psnr=psnr)
        self.prepared.append(done)

        def call(lr: torch.Tensor, scale, stop=None):
            x = lr.detach().float().cpu().numpy()
            outs = run(x, scale_tensor(scale).numpy(), stop)
            return tuple(torch.from_numpy(np.asarray(o)).to(lr.device) for o in outs)
        return call

    def graph_path(self, shape) -> Path:
        """The exported LR stage that serves ``shape = (t, h, w)`` (any size of its parity)."""
        return cache.any_size_graph(self.digest(), shape)

    def _blob_dir(self, name: str, shape, precision: str | None = None):
        runtime = RUNTIMES[name]
        precision = precision or self.precision
        return cache.graph_dir(self.digest(), shape) / f"{name}-{runtime.version()}-{self.device.type}-{precision}"

    @staticmethod
    def _checked(meta: dict, threads: int) -> bool:
        """Whether a stored check result is of this check window and thread count."""
        return (meta.get("window") == [WINDOW_VERSION, window_name()] and meta.get("threads") in (None, threads)
                and isinstance(meta.get("max_diff"), float) and isinstance(meta.get("psnr"), float))

    def ready(self, name: str, shape) -> bool:
        """Whether ``shape = (t, h, w)`` is exported, compiled and checked for runtime ``name`` in this
        precision in the disk cache (preparing it costs a load, no export)."""
        blob_dir = self._blob_dir(name, shape)
        meta = cache.read_json(blob_dir / "check.json")
        return (self.graph_path(shape).is_file() and self._checked(meta, runtime_threads(self.precision))
                and (self.precision != "int8" or int8.ready(self.graph_path(shape))))


_isolated = False
_exporting = threading.Lock()   # TorchScript's tracer and the ONNX exporter keep global state


def isolate_exports(on: bool = True) -> None:
    """Trace graphs in a child process from now on. TorchScript's tracing holds the interpreter lock for
    up to a second at a time, which a UI thread in the same process waits out (measured: a 717 ms stall
    of the app's event loop while a queued render prepared its graph); the app turns this on, the CLI
    has no UI to keep and traces in-process (a child costs its start, about 2 s)."""
    global _isolated
    _isolated = on


register_network(Accelerated)     # auto precision times candidates on this network (engine.backends.choice)
