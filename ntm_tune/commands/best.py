"""`ntm-tune best`: the best training job of the best succeeded run, for deployment scripts.

`--json` prints one object with these keys (schemaVersion 1; new keys may be added,
existing ones keep their meaning):

    schemaVersion        1
    dataset, version     the dataset version the run tuned on
    runId                the run id, also the tuning job's base name
    executionName        the Step Functions execution
    startedAt            the run's start, ISO 8601
    tuningJobName        the tuning job that found the training job
    trainingJobName      the best training job
    objectiveMetric      "validation:total_loss" (minimized)
    objectiveValue       its final value, a number
    hyperParameters      the tuned hyperparameters of that training job, name -> string value
    modelArtifactS3Uri   s3://.../output/model.tar.gz
    summaryS3Uri         the run's JSON summary in the artifacts bucket
"""

from __future__ import annotations

import argparse
import json
import sys

from ntm_tune.aws import add_aws_arguments, reports_aws_errors
from ntm_tune.errors import UsageError

SCHEMA_VERSION = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "best",
        help="print the best training job: hyperparameters and model artifact",
        description="Print the best training job of the succeeded run with the lowest validation:total_loss: "
        "its tuned hyperparameters and model artifact URI. Losses of different dataset versions are not "
        "comparable, so pass --version to choose among the runs of one version.",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="dataset of the runs (default: the only dataset in the run history)"
    )
    parser.add_argument("--version", metavar="VERSION", help="only runs of this dataset version (default: any)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with a stable set of keys")
    add_aws_arguments(parser)
    parser.set_defaults(run=run)


@reports_aws_errors
def run(args: argparse.Namespace) -> int:
    from ntm_tune.aws import connect
    from ntm_tune.reporting.run_history import best_succeeded_run, read_runs

    context = connect(args)
    table = context.outputs.run_history_table
    runs = read_runs(context.client("dynamodb"), table, args.dataset)
    datasets = sorted({record.dataset for record in runs})
    if args.dataset is None and len(datasets) > 1:
        raise UsageError(f"the run history has runs of several datasets ({', '.join(datasets)}). Pass --dataset NAME")

    record = best_succeeded_run(runs, args.version)
    if record is None:
        scope = f"dataset {args.dataset or (datasets[0] if datasets else '(any)')}"
        if args.version:
            scope += f" version {args.version}"
        print(
            f"ntm-tune best: no succeeded run of {scope} is recorded in {table}. Check `ntm-tune history`",
            file=sys.stderr,
        )
        return 1

    result = best_json(record)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    width = max(len(key) for key in result)
    for key, value in result.items():
        if key == "hyperParameters":
            continue
        print(f"{key.ljust(width)}  {value}")
    print("hyperParameters")
    for name, value in sorted(record.tuned_hyperparameters.items()):
        print(f"  {name} = {value}")
    return 0


def best_json(record) -> dict[str, object]:
    """Return the documented `--json` object of a succeeded run record."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "dataset": record.dataset,
        "version": record.version,
        "runId": record.run_id,
        "executionName": record.execution_name,
        "startedAt": record.started_at,
        "tuningJobName": record.tuning_job_name,
        "trainingJobName": record.best_training_job_name,
        "objectiveMetric": record.objective_metric,
        "objectiveValue": record.objective_value,
        "hyperParameters": dict(sorted(record.tuned_hyperparameters.items())),
        "modelArtifactS3Uri": record.model_artifact_s3_uri,
        "summaryS3Uri": record.summary_s3_uri,
    }
