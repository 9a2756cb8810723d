"""Property: what the specification accepts, SageMaker's API model accepts too."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntm_spec.config import DEFAULTS, load_config
from ntm_spec.errors import SpecError
from ntm_spec.hyperparameters import NTM_HYPERPARAMETERS
from ntm_spec.names import TUNING_JOB_NAME_PATTERN, build_tuning_job_name
from ntm_spec.request import Placement, build_request
from ntm_tune.rehearsal.api_model import request_problems

PLACEMENT = Placement(
    role_arn="arn:aws:iam::123456789012:role/sagemaker-execution",
    image_uri="382416733822.dkr.ecr.us-east-1.amazonaws.com/ntm:1",
    output_s3_uri="s3://artifacts/tuning-jobs/",
    channel_s3_uris={
        name: f"s3://datasets/datasets/news/v1/{name}/" for name in ("train", "validation", "test", "auxiliary")
    },
)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

numbers = st.one_of(
    st.integers(min_value=-5, max_value=20000),
    st.floats(min_value=-1.0, max_value=5000.0, allow_nan=False),
    st.sampled_from([0, 0.0, 1e-6, 1e-4, 0.1, 0.5, 1.0, 2, 16, 2048]),
)
numeric_range = st.fixed_dictionaries(
    {"min": numbers, "max": numbers},
    optional={"scaling": st.sampled_from(["Auto", "Linear", "Logarithmic", "ReverseLogarithmic", "Log"])},
)
categorical_range = st.fixed_dictionaries(
    {
        "values": st.lists(
            st.sampled_from(["sgd", "adam", "adadelta", "rmsprop", "sigmoid", "tanh", "relu", '"adam"']),
            min_size=0,
            max_size=4,
        )
    }
)
range_names = st.sampled_from([*NTM_HYPERPARAMETERS, "learning_rat"])
ranges = st.dictionaries(range_names, st.one_of(numeric_range, categorical_range), max_size=6)
static_values = st.one_of(numbers, st.booleans(), st.sampled_from(["auto", "adam", "relu", "true", '"adam"', "10,5"]))
static = st.dictionaries(st.sampled_from(list(NTM_HYPERPARAMETERS)), static_values, max_size=5)

configurations = st.fixed_dictionaries(
    {},
    optional={
        "job_name_prefix": st.sampled_from(["ntm-dev", "ntm-prod", "a" * 12, "ntm_retune", "Ntm", "a" * 13]),
        "training": st.fixed_dictionaries(
            {},
            optional={
                "instance_type": st.sampled_from(
                    ["ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.p3.2xlarge", "ml.m5.xlarge", "ml.p4d.24xlarge"]
                ),
                "instance_count": st.integers(min_value=0, max_value=4),
                "max_runtime_seconds": st.sampled_from([0, 600, 3600, 7200, 3 * 24 * 3600]),
                "spot": st.fixed_dictionaries(
                    {"enabled": st.booleans(), "max_wait_seconds": st.sampled_from([600, 3600, 7200])}
                ),
            },
        ),
        "tuning": st.fixed_dictionaries(
            {},
            optional={
                "strategy": st.sampled_from(["Bayesian", "Random", "Hyperband", "Grid", "Genetic"]),
                "max_training_jobs": st.integers(min_value=0, max_value=60),
                "max_parallel_training_jobs": st.integers(min_value=0, max_value=12),
                "early_stopping": st.sampled_from(["Off", "Auto", "On"]),
                "random_seed": st.integers(min_value=-1, max_value=2**31),
            },
        ),
        "objective": st.fixed_dictionaries(
            {},
            optional={
                "metric": st.sampled_from(["validation:total_loss", "validation:loss"]),
                "type": st.sampled_from(["Minimize", "Maximize"]),
            },
        ),
        "ranges": ranges,
        "static_hyperparameters": static,
        "budget": st.fixed_dictionaries({"max_gpu_hours_per_run": st.sampled_from([0.5, 10.0, 40.0, 500.0])}),
    },
)

SECTIONS = set(DEFAULTS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configurations)
def test_accepted_configurations_make_valid_requests(raw):
    try:
        config = load_config(raw)
    except SpecError as error:
        for message in error.messages():
            key = message.split(":", 1)[0]
            assert key.split(".")[0] in SECTIONS, message
            assert " is invalid: " in message or " is missing: " in message, message
        return

    name = build_tuning_job_name(config.job_name_prefix, NOW)
    request = build_request(config, tuning_job_name=name, feature_dim=5000, placement=PLACEMENT)

    assert request_problems("CreateHyperParameterTuningJob", request) == []
    assert TUNING_JOB_NAME_PATTERN.match(f"{name}-5")
