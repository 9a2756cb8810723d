"""`ntm-tune report [RUN] --out FILE.png`: plot one run's training jobs and the run history."""

from __future__ import annotations

import argparse
from pathlib import Path

from ntm_tune.aws import add_aws_arguments, reports_aws_errors
from ntm_tune.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="plot a run's training jobs and the run history to a PNG file",
        description="Plot one run: the objective of each training job in launch order with the running best, "
        "and the objective against each tuned hyperparameter (log axis for logarithmic ranges). Below, the best "
        "objective of every succeeded run of the same dataset over time.",
    )
    parser.add_argument(
        "run_name",
        nargs="?",
        metavar="RUN",
        help="run id, execution name or tuning job name (default: the newest run that started a tuning job)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.png", help="PNG file to write")
    parser.add_argument(
        "--dataset", metavar="NAME", help="look for the run in this dataset only (default: every dataset)"
    )
    add_aws_arguments(parser)
    parser.set_defaults(run=run)


@reports_aws_errors
def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".png":
        raise UsageError(f"--out {args.out} is invalid: the report is a PNG image. Name the file FILE.png")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out} is invalid: the folder {args.out.parent} does not exist")

    from ntm_tune.aws import connect
    from ntm_tune.reporting.plots import build_report_figure, save_figure
    from ntm_tune.reporting.run_history import find_run, read_runs
    from ntm_tune.reporting.training_jobs import list_training_jobs, tuned_ranges

    context = connect(args)
    runs = read_runs(context.client("dynamodb"), context.outputs.run_history_table, args.dataset)
    record = find_run(runs, args.run_name)
    if not record.tuning_job_name:
        raise UsageError(
            f"run {args.run_name} was {record.outcome} before a tuning job started ({record.reason}), "
            "so there is nothing to plot"
        )

    sagemaker = context.client("sagemaker")
    description = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=record.tuning_job_name)
    training_jobs = list_training_jobs(sagemaker, record.tuning_job_name)
    history = [other for other in runs if other.dataset == record.dataset]

    figure = build_report_figure(record, training_jobs, tuned_ranges(description), history)
    save_figure(figure, args.out)
    scored = sum(job.objective_value is not None for job in training_jobs)
    print(
        f"Wrote {args.out}: run {record.run_id or record.execution_name}, {len(training_jobs)} training jobs "
        f"({scored} with an objective value), {len(history)} runs of dataset {record.dataset}."
    )
    return 0
