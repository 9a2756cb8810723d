"""Run-time rules: trigger parsing, per-run overrides, job names and images."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ntm_spec.config import DEFAULTS
from ntm_spec.errors import SpecError
from ntm_spec.images import ntm_image_uri
from ntm_spec.names import (
    TUNING_JOB_NAME_PATTERN,
    build_tuning_job_name,
    check_tuning_job_name,
    retry_tuning_job_name,
)
from ntm_spec.runs import RunRequest, parse_trigger, plan_run

NOW = datetime(2026, 12, 4, 19, 51, 7, tzinfo=UTC)


def plan(overrides: dict) -> dict:
    return plan_run(DEFAULTS, RunRequest("manual", "news", "v1", overrides), feature_dim=5000, now=NOW, token="ab12")


def rejection(overrides: dict) -> list[str]:
    with pytest.raises(SpecError) as raised:
        plan(overrides)
    return raised.value.messages()


def test_plan_builds_name_and_request():
    run = plan({})["run"]

    assert run["runId"] == "ntm-dev-261204195107-ab12"
    assert run["datasetPrefix"] == "datasets/news/v1/"
    assert run["staticHyperParameters"]["feature_dim"] == "5000"
    assert run["tuningJobConfig"]["HyperParameterTuningJobObjective"] == {
        "Type": "Minimize",
        "MetricName": "validation:total_loss",
    }


def test_override_num_topics_becomes_string():
    run = plan({"num_topics": 35})["run"]

    assert run["staticHyperParameters"]["num_topics"] == "35"


def test_override_log_scaling_at_zero_rejected():
    messages = rejection({"ranges": {"weight_decay": {"min": 0.0, "max": 1.0, "scaling": "Logarithmic"}}})

    assert messages == [
        "ranges.weight_decay.scaling: 'Logarithmic' is invalid: Logarithmic scaling needs every value above zero, "
        "but min is 0. Use Linear or Auto, or raise min above zero."
    ]


def test_override_quoted_twice_rejected():
    messages = rejection({"ranges": {"optimizer": {"values": ['"adam"']}}})

    assert messages == [
        "ranges.optimizer.values: '\"adam\"' is invalid: optimizer takes only sgd, adam, adagrad, adadelta, rmsprop. "
        "Remove or correct that value."
    ]


def test_override_of_objective_not_allowed():
    with pytest.raises(SpecError) as raised:
        parse_trigger(
            {"dataset": "news", "version": "v1", "overrides": {"objective": {"metric": "validation:loss"}}}, "x"
        )

    assert raised.value.messages() == [
        'overrides.objective: {metric = "validation:loss"} is invalid: this setting cannot change per run. '
        "Allowed: num_topics, max_training_jobs, max_parallel_training_jobs, ranges."
    ]


def test_override_max_jobs_checked_against_budget():
    messages = rejection({"max_training_jobs": 100})

    assert messages[0].startswith("budget.max_gpu_hours_per_run: 40.0 is invalid: the worst case is 100 GPU hours")


def test_s3_event_for_manifest_parsed():
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "datasets"}, "object": {"key": "datasets/news/2026-12-01/manifest.json"}},
    }

    assert parse_trigger(event, "corpus") == RunRequest("data", "news", "2026-12-01")


def test_s3_event_for_data_file_rejected():
    event = {"source": "aws.s3", "detail": {"object": {"key": "datasets/news/v1/train/part-00000.pbr"}}}

    with pytest.raises(SpecError, match=r"only datasets/NAME/VERSION/manifest\.json starts a run"):
        parse_trigger(event, "corpus")


@pytest.mark.parametrize("bad", ["ntm_retune-2026-05-01T12:00:00-news", "-ntm", "ntm-", "a" * 33, ""])
def test_invalid_tuning_job_names_rejected(bad):
    with pytest.raises(SpecError, match="a tuning job name is 1 to 32 letters, digits and hyphens"):
        check_tuning_job_name(bad)


def test_longest_prefix_fits_with_retry_suffix():
    base = build_tuning_job_name("a" * 12, NOW, "ffff")

    assert len(retry_tuning_job_name(base, 5)) == 32
    assert TUNING_JOB_NAME_PATTERN.match(retry_tuning_job_name(base, 5))


def test_names_differ_within_one_second():
    names = {build_tuning_job_name("ntm-dev", NOW) for _ in range(10)}

    # Ten draws from 36**4 tokens repeat with a chance of about 1 in 37,000.
    assert len(names) == 10
    assert all(TUNING_JOB_NAME_PATTERN.match(name) for name in names)


def test_prefix_too_long_rejected():
    with pytest.raises(SpecError, match="job_name_prefix: 'abcdefghijklm' is invalid: the prefix is 13 characters"):
        build_tuning_job_name("abcdefghijklm", NOW)


@pytest.mark.parametrize(
    ("region", "uri"),
    [
        ("us-east-1", "382416733822.dkr.ecr.us-east-1.amazonaws.com/ntm:1"),
        ("cn-north-1", "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/ntm:1"),
        ("us-isob-east-1", "765400339828.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/ntm:1"),
    ],
)
def test_image_uri(region, uri):
    assert ntm_image_uri(region) == uri


def test_unsupported_region_names_supported_ones():
    with pytest.raises(SpecError) as raised:
        ntm_image_uri("mx-central-1")

    [message] = raised.value.messages()
    assert message.startswith(
        "region: 'mx-central-1' is invalid: SageMaker publishes no NTM image there. Deploy to one of: af-south-1,"
    )
