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
