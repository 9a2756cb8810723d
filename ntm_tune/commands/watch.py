"""`ntm-tune watch [EXECUTION]`: follow a run until it ends.

Each poll reads the execution, finds the tuning job in the execution history and
describes it. The command sleeps `--interval` seconds between polls: a tuning run
lasts an hour or more, and every poll costs three API calls.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from ntm_tune.aws import add_aws_arguments, reports_aws_errors

DEFAULT_INTERVAL_SECONDS = 30.0
MIN_INTERVAL_SECONDS = 5.0
# ANSI: return to the start of the line and clear it, to redraw the status in place.
REDRAW_LINE = "\r\033[K"

# Replaced in tests so that polls do not wait.
sleep = time.sleep


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="follow a run's progress until it ends",
        description="Show a run's progress: training jobs completed, running and failed out of the maximum, "
        "the best objective so far and the elapsed time. Exit status 0 when the run succeeds, "
        "1 when it fails (with the reason).",
    )
    parser.add_argument(
        "execution",
        nargs="?",
        metavar="EXECUTION",
        help="execution name or ARN, as `ntm-tune start` prints it (default: the newest execution)",
    )
    parser.add_argument(
        "--interval",
        type=_interval,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between polls, at least {MIN_INTERVAL_SECONDS:g} (default: {DEFAULT_INTERVAL_SECONDS:g})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per poll, one per line")
    add_aws_arguments(parser)
    parser.set_defaults(run=run)


@reports_aws_errors
def run(args: argparse.Namespace) -> int:
    from ntm_tune.aws import connect
    from ntm_tune.reporting.progress import poll_progress, resolve_execution_arn

    context = connect(args)
    stepfunctions = context.client("stepfunctions")
    sagemaker = context.client("sagemaker")
    execution_arn = resolve_execution_arn(stepfunctions, context.outputs.state_machine_arn, args.execution)
    redraw = sys.stdout.isatty() and not args.json

    while True:
        progress = poll_progress(stepfunctions, sagemaker, execution_arn)
        if args.json:
            print(json.dumps(progress.to_json()), flush=True)
        elif redraw and not progress.ended:
            print(REDRAW_LINE + progress.to_line(), end="", flush=True)
        else:
            print((REDRAW_LINE if redraw else "") + progress.to_line(), flush=True)
        if progress.ended:
            break
        sleep(args.interval)

    if progress.succeeded:
        return 0
    print(
        f"ntm-tune watch: run {progress.execution_name} {progress.execution_status}: {progress.reason}",
        file=sys.stderr,
    )
    return 1


def _interval(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < MIN_INTERVAL_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is invalid: expected a number of seconds of at least {MIN_INTERVAL_SECONDS:g}"
        )
    return seconds
