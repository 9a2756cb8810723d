"""Template of the triggers: the new-data rule, the schedule and the ended-execution rule."""

from __future__ import annotations

import json

import pytest

from ntm_tune.rehearsal.trigger import event_matches, object_created_event
from tests.infrastructure.iam_helpers import logical_id
from tests.support.synth import synthesize


def rule_by_description(template_dict: dict, text: str) -> dict:
    [rule] = [
        resource["Properties"]
        for resource in template_dict["Resources"].values()
        if resource["Type"] == "AWS::Events::Rule" and text in resource["Properties"].get("Description", "")
    ]
    return rule


def resolved_pattern(synthesized) -> dict:
    pattern = json.loads(json.dumps(rule_by_description(synthesized.template_dict, "manifest lands")["EventPattern"]))
    bucket_ref = {"Ref": logical_id(synthesized.stack.datasets_bucket)}
    assert pattern["detail"]["bucket"]["name"] == [bucket_ref]
    pattern["detail"]["bucket"]["name"] = ["datasets-bucket"]
    return pattern


def sample_event(key: str) -> dict:
    return object_created_event(
        bucket="datasets-bucket",
        key=key,
        size=10,
        etag="0" * 32,
        version_id=None,
        account="123456789012",
        region="us-east-1",
    )


def test_rule_pattern_keys(synthesized):
    pattern = rule_by_description(synthesized.template_dict, "manifest lands")["EventPattern"]

    # EventBridge reads `detail-type`; a pattern written with `detailType` matches nothing.
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail"]["object"]["key"] == [{"wildcard": "datasets/*/*/manifest.json"}]


@pytest.mark.parametrize(
    ("key", "matches"),
    [
        ("datasets/news/2026-12-01/manifest.json", True),
        ("datasets/news/2026-12-01/train/part-00000.pbr", False),
        ("datasets/news/2026-12-01/auxiliary/vocab.txt", False),
        ("runs/news/manifest.json", False),
    ],
)
def test_rule_matches_only_manifests(synthesized, key, matches):
    assert event_matches(resolved_pattern(synthesized), sample_event(key)) is matches


def test_rule_targets_state_machine(synthesized):
    rule = rule_by_description(synthesized.template_dict, "manifest lands")
    [target] = rule["Targets"]

    assert target["Arn"] == {"Ref": logical_id(synthesized.stack.state_machine)}
    assert "Input" not in target
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] == logical_id(
        synthesized.stack.triggers.dead_letter_queue
    )


def test_ended_execution_rule(synthesized):
    rule = rule_by_description(synthesized.template_dict, "timed out or was aborted")

    assert rule["EventPattern"]["detail"]["status"] == ["ABORTED", "TIMED_OUT"]
    assert rule["EventPattern"]["detail-type"] == ["Step Functions Execution Status Change"]


def test_no_schedule_by_default(template):
    template.resource_count_is("AWS::Scheduler::Schedule", 0)


def test_schedule_expression_and_time_zone(tmp_path):
    config = {
        "schedule": {"expression": "cron(0 3 ? * MON *)", "time_zone": "Europe/Berlin", "datasets": ["news", "papers"]}
    }

    synthesized = synthesize(config, outdir=tmp_path)

    schedules = [
        resource["Properties"]
        for resource in synthesized.template_dict["Resources"].values()
        if resource["Type"] == "AWS::Scheduler::Schedule"
    ]
    assert len(schedules) == 2
    for schedule in schedules:
        assert schedule["ScheduleExpression"] == "cron(0 3 ? * MON *)"
        assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    inputs = sorted(json.loads(schedule["Target"]["Input"])["dataset"] for schedule in schedules)
    assert inputs == ["news", "papers"]
    assert json.loads(schedules[0]["Target"]["Input"])["trigger"] == "schedule"


def test_lock_lifetime_equals_state_machine_timeout(synthesized, definition):
    validate = synthesized.stack.node.find_child("ValidateRun").lambda_function
    environment = synthesized.template_dict["Resources"][logical_id(validate)]["Properties"]["Environment"]["Variables"]

    # A lock older than the state machine's timeout belongs to an execution that has ended.
    assert definition["TimeoutSeconds"] == synthesized.config.run_timeout_seconds
    assert environment["RUN_TIMEOUT_SECONDS"] == str(definition["TimeoutSeconds"])
    assert definition["TimeoutSeconds"] == 40 * 3600 + 2 * 3600
