"""Triggers run through the workflow: bursts, duplicates, schedules and the run lock."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import boto3

from ntm_tune.rehearsal.harness import Rehearsal
from ntm_tune.rehearsal.scenario import load_scenario
from ntm_tune.rehearsal.trigger import object_created_event, rule_input
from tests.workflow.conftest import DATASET, VERSION

TIME_LIMIT_SECONDS = 20.0


def scenario_for(runs: int, name: str = "completed"):
    """Return the bundled scenario with enough scripted create responses for `runs` runs."""
    base = load_scenario(name)
    return dataclasses.replace(base, create=base.create * runs)


def manifest_key(version: str = VERSION) -> str:
    return f"datasets/{DATASET}/{version}/manifest.json"


def test_burst_of_manifest_events_starts_one_job(workflow, dataset_dir):
    with Rehearsal(workflow, scenario_for(50), time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        rehearsal.upload_dataset(dataset_dir, dataset=DATASET, version=VERSION)
        results = [rehearsal.run_object_created(manifest_key()) for _ in range(50)]

    outcomes = [record["outcome"] for record in results[-1].records]
    assert len(results[-1].create_requests) == 1
    assert outcomes.count("succeeded") == 1
    assert outcomes.count("skipped") == 49
    assert {result.status for result in results} == {"SUCCEEDED"}


def test_same_event_twice_starts_one_job(workflow, dataset_dir):
    with Rehearsal(workflow, scenario_for(2), time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        rehearsal.upload_dataset(dataset_dir, dataset=DATASET, version=VERSION)
        event = object_created_event(
            bucket=workflow.datasets_bucket,
            key=manifest_key(),
            size=100,
            etag="0" * 32,
            version_id=None,
            account="123456789012",
            region="us-east-1",
        )
        execution_input = rule_input(workflow.trigger_rules[0], event)
        first = rehearsal.run(execution_input)
        second = rehearsal.run(execution_input)

    assert len(second.create_requests) == 1
    assert first.states[-1] == "Run succeeded"
    assert second.states[-2:] == ["Record skipped", "Run skipped"]
    skipped = [record for record in second.records if record["outcome"] == "skipped"]
    assert len(skipped) == 1
    assert skipped[0]["reason"].startswith(f"the manifest of {DATASET}/{VERSION} already started execution")


def test_schedule_during_active_run_skipped(workflow, dataset_dir):
    with Rehearsal(workflow, scenario_for(1), time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        rehearsal.upload_dataset(dataset_dir, dataset=DATASET, version=VERSION)
        now = int(datetime.now(UTC).timestamp())
        boto3.client("dynamodb").put_item(
            TableName=workflow.environment_value("LOCKS_TABLE"),
            Item={
                "lockKey": {"S": f"run#{DATASET}"},
                "executionName": {"S": "manual-active"},
                "runId": {"S": "ntm-dev-261204100000-aaaa"},
                "acquiredAt": {"S": "2026-12-04T10:00:00+00:00"},
                "expiresAt": {"N": str(now + 3600)},
            },
        )
        result = rehearsal.run({"trigger": "schedule", "dataset": DATASET})

    assert result.status == "SUCCEEDED"
    assert result.create_requests == []
    [record] = result.records
    assert record["outcome"] == "skipped"
    assert record["trigger"] == "schedule"
    assert record["activeExecution"] == "manual-active"
    assert "has an active run: execution manual-active" in record["reason"]


def test_lock_released_after_failed_run(workflow, dataset_dir):
    failed = load_scenario("failed-no-best-job")
    completed = load_scenario("completed")
    scenario = dataclasses.replace(failed, create=failed.create + completed.create)
    with Rehearsal(workflow, scenario, time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        rehearsal.upload_dataset(dataset_dir, dataset=DATASET, version=VERSION)
        first = rehearsal.run({"dataset": DATASET, "version": VERSION})
        locks = boto3.client("dynamodb").scan(TableName=workflow.environment_value("LOCKS_TABLE"))["Items"]
        second = rehearsal.run({"trigger": "schedule", "dataset": DATASET})

    assert first.status == "FAILED"
    assert [item["lockKey"]["S"] for item in locks] == []
    assert len(second.create_requests) == 2
    assert "Run tuning job" in second.states or "Run tuning job (warm start)" in second.states
    assert "Record skipped" not in second.states


def test_retune_warm_starts_from_earlier_run(workflow, dataset_dir):
    with Rehearsal(workflow, scenario_for(2), time_limit_seconds=TIME_LIMIT_SECONDS) as rehearsal:
        rehearsal.upload_dataset(dataset_dir, dataset=DATASET, version=VERSION)
        first = rehearsal.run({"dataset": DATASET, "version": VERSION})
        second = rehearsal.run({"trigger": "schedule", "dataset": DATASET})

    first_job = first.create_requests[0].params["HyperParameterTuningJobName"]
    second_request = second.create_requests[1].params
    assert "WarmStartConfig" not in first.create_requests[0].params
    assert second_request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": first_job}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    assert "Run tuning job (warm start)" in second.states
    newest = max(second.records, key=lambda record: record["runKey"])
    assert newest["warmStartParents"] == [first_job]
    assert newest["trigger"] == "schedule"


def test_manifest_rule_passes_event_whole(workflow):
    # The rule passes the event whole: the first state parses the manifest key itself.
    [rule] = [rule for rule in workflow.trigger_rules if "aws.s3" in json.dumps(rule.event_pattern)]

    assert "Input" not in rule.target
    assert "InputPath" not in rule.target
