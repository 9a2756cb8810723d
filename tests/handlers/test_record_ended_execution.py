"""An execution that timed out or was aborted is recorded, and its dataset lock released."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from record_run import Clients, Settings, record_ended_execution
from run_lock import acquire_run_lock, run_lock_holder
from tests.handlers.tables import create_run_tables

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SETTINGS = Settings(table_name="run-history", locks_table="run-locks", artifacts_bucket="artifacts", stage="dev")


@pytest.fixture
def clients():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_run_tables(dynamodb)
        boto3.client("s3").create_bucket(Bucket="artifacts")
        sagemaker = boto3.client("sagemaker")
        with Stubber(sagemaker) as stubber:
            stubber.add_client_error("describe_hyper_parameter_tuning_job", service_error_code="ResourceNotFound")
            yield Clients(
                sagemaker=sagemaker,
                dynamodb=dynamodb,
                s3=boto3.client("s3"),
                cloudwatch=boto3.client("cloudwatch"),
                events=boto3.client("events"),
            )


def status_event(status: str, execution_name: str, trigger_input: dict) -> dict:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "name": execution_name,
            "status": status,
            "startDate": 1796385600123,
            "input": json.dumps(trigger_input),
        },
    }


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT"])
def test_ended_execution_recorded_and_lock_released(clients, status):
    acquire_run_lock(
        clients.dynamodb,
        "run-locks",
        dataset="news",
        execution_name="exec-9",
        run_id="ntm-dev-261204110000-abcd",
        now=NOW,
        lifetime_seconds=3600,
    )

    result = record_ended_execution(
        status_event(status, "exec-9", {"dataset": "news", "version": "v1"}),
        clients=clients,
        settings=SETTINGS,
        now=NOW,
    )

    assert result["outcome"] == "failed"
    assert result["reason"] == f"the execution ended {status} before it could record the run"
    assert run_lock_holder(clients.dynamodb, "run-locks", dataset="news") is None
    [item] = clients.dynamodb.scan(TableName="run-history")["Items"]
    assert item["runKey"] == {"S": "2026-12-04T12:00:00.123Z#exec-9"}
    assert item["runId"] == {"S": "ntm-dev-261204110000-abcd"}


def test_other_execution_lock_kept(clients):
    acquire_run_lock(
        clients.dynamodb,
        "run-locks",
        dataset="news",
        execution_name="exec-1",
        run_id="r1",
        now=NOW,
        lifetime_seconds=3600,
    )

    record_ended_execution(
        status_event("ABORTED", "exec-2", {"dataset": "news", "version": "v1"}),
        clients=clients,
        settings=SETTINGS,
        now=NOW,
    )

    assert run_lock_holder(clients.dynamodb, "run-locks", dataset="news").execution_name == "exec-1"
