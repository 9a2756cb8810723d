"""A rehearsal fails loudly, never passes, when SageMaker's response is missing or a request is invalid."""

from __future__ import annotations

import copy
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from ntm_tune.rehearsal.harness import Rehearsal, RehearsalError, RehearsalTimeout
from ntm_tune.rehearsal.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

ACCEPT = {"accept": True}
THROTTLED = {
    "error": "SageMaker.AmazonSageMakerException",
    "cause": "Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException)",
}
COMPLETED = {"HyperParameterTuningJobStatus": "Completed"}


def scenario(**tables) -> Scenario:
    return parse_scenario({"summary": "written by a test", **tables}, name="test")


def test_unscripted_create_call_fails(rehearse):
    with pytest.raises(RehearsalError, match=r"call 2 .* has no scripted response") as raised:
        rehearse(scenario(create=[THROTTLED], end=COMPLETED))

    assert len(raised.value.result.create_requests) == 2


def test_unscripted_end_fails(rehearse):
    with pytest.raises(RehearsalError, match=r"scripts no \[end\]"):
        rehearse(scenario(create=[ACCEPT]))


def test_never_ending_job_times_out(rehearse):
    never_ends = scenario(create=[ACCEPT], end={"HyperParameterTuningJobStatus": "InProgress"})

    started = time.monotonic()
    with pytest.raises(RehearsalTimeout, match=r"did not end within 1\.5 s.*'Run tuning job'") as raised:
        rehearse(never_ends, time_limit_seconds=1.5)

    assert time.monotonic() - started < 10
    assert raised.value.result.status == "ABORTED"
    assert raised.value.result.records == []


def test_invalid_scripted_response_fails(rehearse):
    negative_counter = {**COMPLETED, "TrainingJobStatusCounters": {"Completed": -1}}

    with pytest.raises(RehearsalError, match=r"TrainingJobStatusCounters\.Completed, value: -1"):
        rehearse(scenario(create=[ACCEPT], end=negative_counter))


def test_tuned_values_outside_ranges_fail(rehearse):
    best = {
        "TrainingJobName": "{tuning_job_name}-001-00000000",
        "TunedHyperParameters": {"learning_rate": "5.0"},
        "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:total_loss", "Value": 7.0},
    }

    with pytest.raises(RehearsalError, match=r"learning_rate='5\.0' is outside"):
        rehearse(scenario(create=[ACCEPT], end={**COMPLETED, "BestTrainingJob": best}))


def test_invalid_request_names_member(rehearse, definition):
    broken = copy.deepcopy(definition)
    training = broken["States"]["Run tuning job"]["Parameters"]["TrainingJobDefinition"]
    training["ResourceConfig"]["InstanceType"] = "ml.g4dn.huge"
    training["StoppingCondition"]["MaxRuntimeInSeconds"] = 0

    with pytest.raises(RehearsalError) as raised:
        rehearse("completed", definition=broken)

    message = str(raised.value)
    assert "TrainingJobDefinition.ResourceConfig.InstanceType: 'ml.g4dn.huge' is not one of" in message
    assert "TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds, value: 0, valid min value: 1" in message


def test_invalid_retry_name_fails(rehearse, definition):
    broken = copy.deepcopy(definition)
    rename = broken["States"]["Name new attempt"]["Parameters"]["attempt"]
    rename["tuningJobName.$"] = "States.Format('{}_{}', $.run.runId, States.MathAdd($.attempt.number, 1))"

    with pytest.raises(RehearsalError, match=r"HyperParameterTuningJobName: '[^']+_2' does not match"):
        rehearse("create-throttled-twice", definition=broken)


def test_scenario_unknown_key_rejected():
    with pytest.raises(ScenarioError, match=r"end\.BestJob is an unknown key"):
        parse_scenario({"summary": "s", "create": [ACCEPT], "end": {**COMPLETED, "BestJob": {}}}, name="typo")


def test_scenario_misspelled_status_rejected():
    with pytest.raises(ScenarioError, match=r"'Complete' is invalid\. Use one of Completed, InProgress"):
        scenario(create=[ACCEPT], end={"HyperParameterTuningJobStatus": "Complete"})


def test_scenario_needs_create_responses():
    with pytest.raises(ScenarioError, match=r"create is missing. Script at least one \[\[create\]\] response"):
        parse_scenario({"summary": "s"}, name="empty")


def test_unknown_scenario_lists_bundled():
    with pytest.raises(ScenarioError, match=r"Bundled scenarios: .*completed"):
        load_scenario("complete")


def test_unemulated_request_stays_local(workflow):
    with Rehearsal(workflow, load_scenario("completed")) as rehearsal:
        client = boto3.client("qbusiness")
        with pytest.raises(ClientError, match="is not emulated"):
            client.list_applications()

    assert "qbusiness ListApplications: moto does not emulate this request, so it was not sent" in (
        rehearsal.sagemaker.problems
    )


def test_fault_table_must_be_known():
    fault = {"service": "dynamodb", "operation": "PutItem", "error_code": "X", "message": "m", "table": "history"}

    with pytest.raises(ScenarioError, match=r"faults\[1\]\.table 'history' is invalid"):
        parse_scenario({"summary": "s", "create": [ACCEPT], "faults": [fault]}, name="typo")
