"""The request checks against botocore's model of the SageMaker API, member by member."""

from __future__ import annotations

import copy

import pytest

from ntm_tune.rehearsal.api_model import request_problems, response_problems

VALID_REQUEST = {
    "HyperParameterTuningJobName": "ntm-dev-260501120000-ab12",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:total_loss"},
    },
    "TrainingJobDefinition": {
        "AlgorithmSpecification": {
            "TrainingImage": "382416733822.dkr.ecr.us-east-1.amazonaws.com/ntm:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerExecutionRole",
        "OutputDataConfig": {"S3OutputPath": "s3://artifacts/tuning-jobs/"},
        "ResourceConfig": {"InstanceType": "ml.g4dn.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "StaticHyperParameters": {"num_topics": "20", "feature_dim": "5000"},
    },
    "Tags": [{"Key": "ntm:dataset", "Value": "corpus"}],
}


def changed(path: str, value: object) -> dict:
    """Return VALID_REQUEST with the member at dotted `path` set to `value`."""
    request = copy.deepcopy(VALID_REQUEST)
    *parents, last = path.split(".")
    node = request
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    return request


def problems_for(path: str, value: object) -> list[str]:
    return request_problems("CreateHyperParameterTuningJob", changed(path, value))


def test_valid_request_has_no_problems():
    assert request_problems("CreateHyperParameterTuningJob", VALID_REQUEST) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        # Checked by botocore's validate_parameters.
        (
            "TrainingJobDefinition.StaticHyperParameters.num_topics",
            20,
            "Invalid type for parameter TrainingJobDefinition.StaticHyperParameters.num_topics",
        ),
        (
            "HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs",
            0,
            "HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs, value: 0, valid min value: 1",
        ),
        (
            "TrainingJobDefinition.ResourceConfig.GpuCount",
            1,
            'Unknown parameter in TrainingJobDefinition.ResourceConfig: "GpuCount"',
        ),
        # Added here from the model's metadata.
        (
            "HyperParameterTuningJobConfig.Strategy",
            "Genetic",
            "HyperParameterTuningJobConfig.Strategy: 'Genetic' is not one of Bayesian, Random, Hyperband, Grid",
        ),
        (
            "HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds",
            15_768_001,
            "HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds: 15768001 is above the maximum",
        ),
        (
            "TrainingJobDefinition.AlgorithmSpecification.TrainingImage",
            "x" * 256,
            "TrainingJobDefinition.AlgorithmSpecification.TrainingImage: 256 characters, above the maximum 255",
        ),
        (
            "TrainingJobDefinition.OutputDataConfig.S3OutputPath",
            "artifacts/tuning-jobs/",
            "TrainingJobDefinition.OutputDataConfig.S3OutputPath: 'artifacts/tuning-jobs/' does not match",
        ),
        (
            "TrainingJobDefinition.ResourceConfig.InstanceType",
            "ml.g4dn.huge",
            "TrainingJobDefinition.ResourceConfig.InstanceType: 'ml.g4dn.huge' is not one of the",
        ),
        ("Tags.0.Key", "ntm$dataset", "Tags[0].Key: 'ntm$dataset' does not match the pattern"),
    ],
)
def test_problem_names_member_path(path, value, expected):
    problems = problems_for(path, value)

    assert any(expected in problem for problem in problems), problems


def test_tag_pattern_allows_unicode_letters():
    assert problems_for("Tags.0.Value", "Zürich été 2026") == []


@pytest.mark.parametrize("name", ["ntm_retune-2026", "ntm-dev-", "-ntm", "a" * 33, ""])
def test_tuning_job_name_rule(name):
    problems = problems_for("HyperParameterTuningJobName", name)

    assert any(problem.startswith("HyperParameterTuningJobName") for problem in problems), problems


def test_static_hyperparameters_limited_to_100():
    many = {f"key{index}": "1" for index in range(101)}

    problems = problems_for("TrainingJobDefinition.StaticHyperParameters", many)

    assert any("StaticHyperParameters: 101 entries, above the maximum 100" in problem for problem in problems)


def test_response_missing_required_member():
    problems = response_problems("DescribeHyperParameterTuningJob", {"HyperParameterTuningJobName": "x"})

    assert any("HyperParameterTuningJobStatus" in problem for problem in problems), problems
