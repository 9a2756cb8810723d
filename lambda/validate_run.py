"""First state of every run: turn the trigger into a validated run, skip it, or reject it.

- A rejected run raises RunRejected before any SageMaker call; the workflow's
  failure path records it as rejected, with the messages, and notifies operators.
- A run for a dataset that already has an active run, or a second delivery of a
  manifest's event, returns `decision: skip`, and the workflow records it as skipped.
- Otherwise the run takes the dataset's lock, chooses its warm-start parents and
  returns `decision: run` with the request fields the tuning task reads.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import boto3
from boto3.dynamodb.types import TypeDeserializer

from ntm_spec.dataset_store import load_version, newest_version
from ntm_spec.errors import Problem, SpecError
from ntm_spec.runs import LATEST_VERSION, RunRequest, parse_trigger, plan_run
from ntm_spec.warm_start import choose_parents
from run_lock import acquire_run_lock, claim_data_trigger, release_run_lock

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# How many of a dataset's newest run records are read to choose warm-start parents.
HISTORY_WINDOW = 50


class RunRejected(Exception):
    """The run's input is invalid. Step Functions receives it as the error name `RunRejected`."""


@dataclass(frozen=True)
class Settings:
    base_config: dict
    datasets_bucket: str
    locks_table: str
    run_history_table: str
    run_timeout_seconds: int

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            base_config=json.loads(os.environ["TUNING_CONFIG"]),
            datasets_bucket=os.environ["DATASETS_BUCKET"],
            locks_table=os.environ["LOCKS_TABLE"],
            run_history_table=os.environ["RUN_HISTORY_TABLE"],
            run_timeout_seconds=int(os.environ["RUN_TIMEOUT_SECONDS"]),
        )


@cache
def _clients():
    return boto3.client("s3"), boto3.client("dynamodb")


def handler(event: dict, context: object) -> dict:
    s3, dynamodb = _clients()
    return validate_run(
        event["event"],
        execution_name=event["execution"]["name"],
        s3=s3,
        dynamodb=dynamodb,
        settings=Settings.from_environment(),
        now=datetime.now(UTC),
    )


def validate_run(event: dict, *, execution_name: str, s3, dynamodb, settings: Settings, now: datetime) -> dict:
    """Return the state that the next states read; raise RunRejected with every problem."""
    try:
        request = parse_trigger(event, default_dataset=settings.base_config["dataset"]["name"])
        if request.version == LATEST_VERSION:
            request = _with_latest_version(s3, settings.datasets_bucket, request)
        manifest = load_version(s3, settings.datasets_bucket, request.dataset, request.version)
        plan = plan_run(settings.base_config, request, feature_dim=manifest.feature_dim, now=now)
    except SpecError as error:
        logger.warning("Run rejected", extra={"problems": error.messages(), "execution_name": execution_name})
        raise RunRejected(str(error)) from error

    run = plan["run"]
    holder = acquire_run_lock(
        dynamodb,
        settings.locks_table,
        dataset=request.dataset,
        execution_name=execution_name,
        run_id=run["runId"],
        now=now,
        lifetime_seconds=settings.run_timeout_seconds,
    )
    if holder is not None:
        reason = (
            f"dataset {request.dataset} has an active run: execution {holder.execution_name} "
            f"(run {holder.run_id}, started {holder.acquired_at})"
        )
        return _skip(request, reason, active_execution=holder.execution_name)

    if request.trigger == "data":
        earlier = claim_data_trigger(
            dynamodb,
            settings.locks_table,
            dataset=request.dataset,
            version=request.version,
            execution_name=execution_name,
            now=now,
        )
        if earlier is not None:
            release_run_lock(dynamodb, settings.locks_table, dataset=request.dataset, execution_name=execution_name)
            reason = f"the manifest of {request.dataset}/{request.version} already started execution {earlier}"
            return _skip(request, reason, active_execution=earlier)

    warm_start = choose_parents(
        _history(dynamodb, settings.run_history_table, request.dataset),
        version=request.version,
        names=run["hyperParameterNames"],
    )
    run["warmStart"] = {
        "parents": list(warm_start.parents),
        "type": warm_start.warm_start_type,
        "reason": warm_start.reason,
    }
    if warm_start.parents:
        run["warmStartConfig"] = warm_start.to_api()

    logger.info(
        "Run validated",
        extra={
            "run_id": run["runId"],
            "execution_name": execution_name,
            "dataset": run["dataset"],
            "version": run["version"],
            "trigger": run["trigger"],
            "warm_start": run["warmStart"],
        },
    )
    return plan


def _skip(request: RunRequest, reason: str, *, active_execution: str) -> dict:
    logger.info("Run skipped", extra={"dataset": request.dataset, "reason": reason})
    return {
        "decision": "skip",
        "skip": {
            "dataset": request.dataset,
            "version": request.version,
            "trigger": request.trigger,
            "reason": reason,
            "activeExecution": active_execution,
        },
    }


def _with_latest_version(s3, bucket: str, request: RunRequest) -> RunRequest:
    version = newest_version(s3, bucket, request.dataset)
    if version is None:
        prefix = f"datasets/{request.dataset}/"
        raise SpecError(
            [
                Problem(
                    "dataset",
                    request.dataset,
                    f"no version of the dataset has a manifest under s3://{bucket}/{prefix}",
                    "Upload a version with `ntm-tune prepare`, or name the dataset with --dataset",
                )
            ]
        )
    return RunRequest(request.trigger, request.dataset, version, request.overrides)


def _history(dynamodb, table: str, dataset: str) -> list[dict]:
    """Return the dataset's newest run records, newest first."""
    response = dynamodb.query(
        TableName=table,
        KeyConditionExpression="dataset = :dataset",
        ExpressionAttributeValues={":dataset": {"S": dataset}},
        ScanIndexForward=False,
        Limit=HISTORY_WINDOW,
    )
    deserializer = TypeDeserializer()
    return [{key: deserializer.deserialize(value) for key, value in item.items()} for item in response["Items"]]
