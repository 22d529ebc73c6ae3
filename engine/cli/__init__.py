"""``savsr`` command line. Each subcommand lives in its own module and is registered here explicitly."""
from __future__ import annotations

import argparse
import signal
import sys

from ..errors import SavsrError, Terminated
from . import compare, conform, evaluate, finetune, info, model_info, presets, train, upscale, widen

# modules with ``register(subparsers)``; each sets ``func(args) -> int``
COMMANDS = [model_info, upscale, presets, compare, info, conform, evaluate, train, finetune, widen]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    parser = argparse.ArgumentParser(prog="savsr", description="SAVSR Studio: arbitrary-scale video upscaling.")
    parser.add_argument("--version", action="version", version=f"savsr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv``; its exit status. Without ``argv`` (the ``savsr`` program itself) the
    process ends here once the command is done: see :func:`leave`."""
    if argv is None:
        leave(_command(None))
    return _command(argv)


def leave(code: int):
    """End the program now that its work is done: flush, wait for any non-daemon thread, run the exit
    handlers (multiprocessing joins its children there), then skip the interpreter's teardown of torch,
    OpenVINO and FFmpeg, which costs half a CPU-second: seconds on a loaded machine (measured: 4.9 s of a
    5.0 s exit after the render, 0.54 CPU-s, load 16 on 2 cores)."""
    import atexit
    import os
    import threading
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _command(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SavsrError as exc:
        print(f"savsr: error: {exc}", file=sys.stderr)
        return 1
    except Terminated as exc:
        print(f"savsr: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("savsr: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
