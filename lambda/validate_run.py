"""First state of every run: turn the trigger into a validated run, or reject it.

A rejected run raises RunRejected before any SageMaker call; the workflow's
failure path records it as rejected, with the messages, and notifies operators.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from functools import cache

import boto3

from ntm_spec.dataset import parse_manifest
from ntm_spec.errors import Problem, SpecError
from ntm_spec.runs import MANIFEST_NAME, dataset_prefix, parse_trigger, plan_run

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class RunRejected(Exception):
    """The run's input is invalid; Step Functions sees the error name `RunRejected`."""


@cache
def _s3_client():
    return boto3.client("s3")


def handler(event: dict, context: object) -> dict:
    return validate_run(
        event,
        s3=_s3_client(),
        base_config=json.loads(os.environ["TUNING_CONFIG"]),
        datasets_bucket=os.environ["DATASETS_BUCKET"],
        now=datetime.now(UTC),
    )


def validate_run(event: dict, *, s3, base_config: dict, datasets_bucket: str, now: datetime) -> dict:
    """Return the run state for the tuning task; raise RunRejected with every problem."""
    try:
        request = parse_trigger(event, default_dataset=base_config["dataset"]["name"])
        manifest = _read_manifest(s3, datasets_bucket, dataset_prefix(request.dataset, request.version))
        plan = plan_run(base_config, request, feature_dim=manifest.feature_dim, now=now)
    except SpecError as error:
        logger.warning("Run rejected", extra={"problems": error.messages()})
        raise RunRejected(str(error)) from error

    run = plan["run"]
    logger.info(
        "Run validated",
        extra={
            "run_id": run["runId"],
            "dataset": run["dataset"],
            "version": run["version"],
            "trigger": run["trigger"],
        },
    )
    return plan


def _read_manifest(s3, bucket: str, prefix: str):
    key = prefix + MANIFEST_NAME
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise SpecError(
            [
                Problem(
                    "dataset",
                    f"s3://{bucket}/{key}",
                    "the dataset has no manifest",
                    "Upload the dataset with `ntm-tune prepare`, which writes the manifest last",
                )
            ]
        ) from None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpecError(
            [
                Problem(
                    "manifest",
                    f"s3://{bucket}/{key}",
                    f"the manifest is not valid JSON ({error})",
                    "Write it again with `ntm-tune prepare`",
                )
            ]
        ) from None
    return parse_manifest(data)
