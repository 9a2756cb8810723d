"""The tuning request in the synthesized definition, checked against SageMaker's API model."""

from __future__ import annotations

import copy
import re

from ntm_spec.names import TUNING_JOB_NAME_PATTERN
from ntm_spec.request import build_static_hyperparameters, build_tuning_job_config
from ntm_tune.rehearsal.api_model import request_problems

RUN_ID = "ntm-dev-261204120000-ab12"
DATASET_PREFIX = "datasets/news/v1/"


def render_request(parameters: dict, state: dict) -> dict:
    """Evaluate the `.$` fields that the definition uses, against an example state."""
    rendered = {}
    for key, value in parameters.items():
        if key.endswith(".$"):
            rendered[key[:-2]] = evaluate(value, state)
        elif isinstance(value, dict):
            rendered[key] = render_request(value, state)
        elif isinstance(value, list):
            rendered[key] = [render_request(item, state) if isinstance(item, dict) else item for item in value]
        else:
            rendered[key] = value
    return rendered


def evaluate(expression: str, state: dict) -> object:
    format_call = re.fullmatch(r"States\.Format\('([^']*)', (\$\.[\w.]+)\)", expression)
    if format_call:
        return format_call[1].replace("{}", str(evaluate(format_call[2], state)), 1)
    assert expression.startswith("$."), f"unsupported expression {expression}"
    node = state
    for part in expression[2:].split("."):
        node = node[part]
    return node


def example_state(config) -> dict:
    return {
        "run": {
            "runId": RUN_ID,
            "dataset": "news",
            "datasetPrefix": DATASET_PREFIX,
            "tuningJobConfig": build_tuning_job_config(config),
            "staticHyperParameters": build_static_hyperparameters(config, 5000),
        },
        "attempt": {"number": 1, "tuningJobName": RUN_ID},
    }


def test_synthesized_request_passes_api_model(definition, synthesized):
    parameters = definition["States"]["Run tuning job"]["Parameters"]

    request = render_request(parameters, example_state(synthesized.config))

    assert request_problems("CreateHyperParameterTuningJob", request) == []
    assert TUNING_JOB_NAME_PATTERN.match(request["HyperParameterTuningJobName"])
    train = request["TrainingJobDefinition"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert train.endswith(f"/{DATASET_PREFIX}train/")


def test_invalid_request_names_member(definition, synthesized):
    parameters = definition["States"]["Run tuning job"]["Parameters"]
    state = example_state(synthesized.config)
    broken = copy.deepcopy(state)
    broken["run"]["tuningJobConfig"]["Strategy"] = "Genetic"
    broken["attempt"]["tuningJobName"] = "ntm_retune-2026-05-01T12:00:00-news"

    problems = request_problems("CreateHyperParameterTuningJob", render_request(parameters, broken))

    assert any("HyperParameterTuningJobConfig.Strategy" in problem for problem in problems), problems
    assert any("HyperParameterTuningJobName" in problem for problem in problems), problems
