"""`ntm-tune validate`: check a tuning configuration offline (placeholder until built)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="validate a tuning configuration offline")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("ntm-tune validate is not built yet")
