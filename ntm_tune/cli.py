"""Entry point of the `ntm-tune` command.

Each subcommand lives in its own module under `ntm_tune.commands` and exposes
`add_parser(subparsers)` and `run(args) -> int`. Modules import their heavy
dependencies (boto3, numpy, scipy) inside `run`, so `ntm-tune --help` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

# Defined in its own module so that `python -m ntm_tune.cli` and the subcommands
# share one class.
from ntm_tune.errors import UsageError

# Subcommand name -> module under ntm_tune.commands, in the order `--help` lists them.
COMMANDS = {
    "validate": "validate",
    "prepare": "prepare",
    "rehearse": "rehearse",
    "start": "start",
    "watch": "watch",
    "history": "history",
    "best": "best",
    "report": "report",
}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like the commands' own, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}. Run '{self.prog} --help' for the options\n")


def build_parser() -> argparse.ArgumentParser:
    # Subparsers are created with the parent's class, so every subcommand gets the same errors.
    parser = _Parser(
        prog="ntm-tune",
        description="Prepare data for, validate and operate the SageMaker NTM tuning stack.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the installed version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"ntm_tune.commands.{module_name}")
        module.add_parser(subparsers)
    return parser


class _VersionAction(argparse.Action):
    """Print the installed version and exit; importlib.metadata is loaded only then, so --help stays fast."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("ntm-tuning-stack")
        except PackageNotFoundError:
            installed = "(not installed)"
        parser.exit(0, f"{parser.prog} {installed}\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as error:
        print(f"ntm-tune {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
