"""The synthesized state machine: integration, retries, catches and the request."""

from __future__ import annotations

from ntm_spec.hyperparameters import RECOMMENDED_RANGES
from ntm_spec.ranges import SCALING_TYPES

TUNING_STATE = "Run tuning job"


def test_tuning_task_uses_sync_integration(definition):
    state = definition["States"][TUNING_STATE]

    assert state["Type"] == "Task"
    assert state["Resource"] == "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"


def test_tuning_task_has_no_blanket_retry(definition):
    state = definition["States"][TUNING_STATE]

    # A retry of the same request would reuse the job name, which SageMaker rejects.
    assert "Retry" not in state


def test_tuning_task_catches(definition):
    catches = definition["States"][TUNING_STATE]["Catch"]

    assert catches == [
        {
            "ErrorEquals": ["SageMaker.AmazonSageMakerException", "SageMaker.ResourceLimitExceededException"],
            "ResultPath": "$.error",
            "Next": "Create attempts left?",
        },
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record failure"},
    ]


def test_new_attempt_gets_fresh_name(definition):
    states = definition["States"]
    rename = states["Name new attempt"]

    assert states["Create attempts left?"]["Choices"][0]["Next"] == "Wait before new attempt"
    assert states["Wait before new attempt"]["Next"] == "Name new attempt"
    assert rename["Next"] == "Warm start?"
    # The whole state is rebuilt, so the caught error does not reach "Record result".
    assert "ResultPath" not in rename
    assert set(rename["Parameters"]) == {"run.$", "attempt"}
    assert rename["Parameters"]["attempt"]["tuningJobName.$"] == (
        "States.Format('{}-{}', $.run.runId, States.MathAdd($.attempt.number, 1))"
    )
    task_parameters = states[TUNING_STATE]["Parameters"]
    assert task_parameters["HyperParameterTuningJobName.$"] == "$.attempt.tuningJobName"


def test_tuning_task_result_selector(definition):
    state = definition["States"][TUNING_STATE]

    assert state["ResultSelector"] == {
        "HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName",
        "HyperParameterTuningJobArn.$": "$.HyperParameterTuningJobArn",
        "HyperParameterTuningJobStatus.$": "$.HyperParameterTuningJobStatus",
    }
    assert state["ResultPath"] == "$.tuningJob"


def test_lambda_states_retry_only_service_errors(definition):
    for name in ("Validate run", "Record failure"):
        retries = definition["States"][name]["Retry"]
        errors = {error for retry in retries for error in retry["ErrorEquals"]}
        assert "States.ALL" not in errors, name
        assert all(error.startswith("Lambda.") for error in errors), name


def test_every_task_catches_into_failure_path(definition):
    for name in ("Validate run", TUNING_STATE, "Record result"):
        catches = definition["States"][name]["Catch"]
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], name
        assert catches[-1]["Next"] == "Record failure", name


def test_failure_path_ends_in_fail(definition):
    states = definition["States"]

    assert states["Record failure"]["Next"] == "Notify operators"
    assert states["Notify operators"]["Resource"] == "arn:aws:states:::sns:publish"
    assert states["Notify operators"]["Next"] == "Run failed"
    assert states["Run failed"]["Type"] == "Fail"
    assert states["Run succeeded?"]["Default"] == "Notify operators"


def test_fixed_request_fields(definition):
    training = definition["States"][TUNING_STATE]["Parameters"]["TrainingJobDefinition"]

    assert training["AlgorithmSpecification"]["TrainingImage"] == "382416733822.dkr.ecr.us-east-1.amazonaws.com/ntm:1"
    assert training["EnableNetworkIsolation"] is True
    assert training["EnableInterContainerTrafficEncryption"] is False
    assert training["ResourceConfig"]["InstanceType"] == "ml.g4dn.xlarge"
    assert [channel["ChannelName"] for channel in training["InputDataConfig"]] == ["train", "validation", "auxiliary"]
    auxiliary = training["InputDataConfig"][2]
    assert auxiliary["ContentType"] == "text/plain"
    assert auxiliary["DataSource"]["S3DataSource"]["S3DataDistributionType"] == "FullyReplicated"


def test_default_ranges_have_string_bounds(synthesized):
    from ntm_spec.request import build_tuning_job_config

    ranges = build_tuning_job_config(synthesized.config)["ParameterRanges"]
    numeric = ranges["IntegerParameterRanges"] + ranges["ContinuousParameterRanges"]

    assert {item["Name"] for item in numeric} | {item["Name"] for item in ranges["CategoricalParameterRanges"]} == set(
        RECOMMENDED_RANGES
    )
    for item in numeric:
        assert isinstance(item["MinValue"], str), item
        assert isinstance(item["MaxValue"], str), item
        assert item["ScalingType"] in SCALING_TYPES, item
        if item["ScalingType"] == "Logarithmic":
            assert float(item["MinValue"]) > 0, item


def test_state_machine_logging_and_tracing(template):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True},
            "TracingConfiguration": {"Enabled": True},
        },
    )


def test_configured_tags_reach_tuning_jobs(tmp_path):
    from tests.support.cfn import resolve_definition
    from tests.support.synth import synthesize

    tagged = synthesize({"tags": {"team": "search", "cost-center": "4711"}}, outdir=tmp_path)
    tags = resolve_definition(tagged.template_dict)["States"][TUNING_STATE]["Parameters"]["Tags"]

    assert {"Key": "team", "Value": "search"} in tags
    assert {"Key": "cost-center", "Value": "4711"} in tags
    assert {"Key": "ntm:dataset", "Value.$": "$.run.dataset"} in tags
