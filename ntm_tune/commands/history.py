"""`ntm-tune history`: the runs recorded in the run-history table, newest first."""

from __future__ import annotations

import argparse
import json

from ntm_tune.aws import add_aws_arguments, reports_aws_errors

DEFAULT_LIMIT = 20
REASON_WIDTH = 60


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="list recorded runs, newest first",
        description="List the runs in the run-history table, newest first: start time, trigger, dataset "
        "version, outcome, best validation:total_loss and GPU hours.",
    )
    parser.add_argument("--dataset", metavar="NAME", help="only runs of this dataset (default: every dataset)")
    parser.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"print at most N runs (default: {DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON array of run records, with the table's attribute names"
    )
    add_aws_arguments(parser)
    parser.set_defaults(run=run)


@reports_aws_errors
def run(args: argparse.Namespace) -> int:
    from ntm_tune.aws import connect
    from ntm_tune.reporting.run_history import read_runs

    context = connect(args)
    runs = read_runs(context.client("dynamodb"), context.outputs.run_history_table, args.dataset)[: args.limit]
    if args.json:
        print(json.dumps([record.to_json() for record in runs], indent=2))
        return 0
    if not runs:
        where = f"dataset {args.dataset}" if args.dataset else "any dataset"
        print(f"No runs of {where} are recorded in {context.outputs.run_history_table}.")
        return 0
    print(format_table(runs))
    return 0


def format_table(runs) -> str:
    """Format runs as an aligned text table; absent values are "-"."""
    from ntm_spec.hyperparameters import OBJECTIVE_METRIC

    header = (
        "STARTED (UTC)",
        "DATASET",
        "VERSION",
        "TRIGGER",
        "OUTCOME",
        f"BEST {OBJECTIVE_METRIC}",
        "GPU HOURS",
        "RUN ID",
        "REASON",
    )
    rows = [header]
    for record in runs:
        started = record.started_at_datetime
        reason = record.reason if len(record.reason) <= REASON_WIDTH else record.reason[: REASON_WIDTH - 3] + "..."
        rows.append(
            (
                started.strftime("%Y-%m-%d %H:%M") if started else record.started_at or "-",
                record.dataset,
                record.version or "-",
                record.trigger or "-",
                record.outcome or "-",
                f"{record.objective_value:.6g}" if record.objective_value is not None else "-",
                f"{record.gpu_hours:.2f}" if record.gpu_hours is not None else "-",
                record.run_id or record.execution_name or "-",
                reason or "-",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is invalid: expected an integer of at least 1")
    return int(text)
