"""`ntm-tune validate CONFIG`: check a tuning configuration offline, as synth would."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate a tuning configuration offline",
        description="Check a configuration file by the rules synth and every run use. "
        "Prints every problem (exit status 2) or the effective tuning request (exit status 0).",
    )
    parser.add_argument("config", type=Path, metavar="CONFIG", help="TOML configuration file")
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one key, for example tuning.max_training_jobs=10 (repeatable)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ntm_spec.config import load_config
    from ntm_spec.config_file import apply_overrides, parse_assignment, read_config_file
    from ntm_spec.errors import SpecError
    from ntm_spec.request import build_static_hyperparameters, build_tuning_job_config
    from ntm_tune.formatting import plural

    try:
        pairs = [parse_assignment(text) for text in args.assignments]
        config = load_config(apply_overrides(read_config_file(args.config), pairs))
    except SpecError as error:
        print(f"{args.config}: {plural(len(error.problems), 'problem')} found:", file=sys.stderr)
        for message in error.messages():
            print(f"  {message}", file=sys.stderr)
        return 2

    print(f"{args.config}: valid. Effective tuning request (feature_dim comes from each dataset's manifest):")
    summary = {
        "stage": config.stage,
        "job_name_prefix": config.job_name_prefix,
        "instance": f"{config.instance_count} x {config.instance_type}",
        "max_runtime_seconds_per_training_job": config.max_runtime_seconds,
        "worst_case_gpu_hours": round(config.worst_case_gpu_hours, 2),
        "budget_gpu_hours": config.max_gpu_hours_per_run,
        "HyperParameterTuningJobConfig": build_tuning_job_config(config),
        "StaticHyperParameters": build_static_hyperparameters(config, feature_dim=0)
        | {"feature_dim": "<from manifest>"},
        "channels": {channel.name: channel.distribution for channel in config.channels},
        "schedule": config.schedule or "none: runs start on new data or by hand",
        "tags": config.tags,
    }
    print(json.dumps(summary, indent=2))
    return 0
