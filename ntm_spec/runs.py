"""One shape for every run: from a trigger's event to the validated run state.

Triggers are a manual start (`{"dataset": ..., "version": ..., "overrides": ...}`),
an S3 `Object Created` event for a dataset manifest, and a schedule. The first
state of the workflow calls `parse_trigger`, then `plan_run`, and the tuning
task reads only what `plan_run` returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ntm_spec.config import TuningConfig, load_config, merge
from ntm_spec.dataset import DATASETS_PREFIX, MANIFEST_NAME, NAME_PATTERN, NAME_REGEX
from ntm_spec.errors import Problem, SpecError
from ntm_spec.names import MAX_CREATE_ATTEMPTS, build_tuning_job_name
from ntm_spec.request import build_static_hyperparameters, build_tuning_job_config
from ntm_spec.warm_start import hyperparameter_names

MANIFEST_KEY_PATTERN = re.compile(
    f"^{re.escape(DATASETS_PREFIX)}(?P<dataset>{NAME_REGEX})/(?P<version>{NAME_REGEX})/{re.escape(MANIFEST_NAME)}$"
)
# Per-run overrides and the configuration keys they replace.
OVERRIDE_KEYS = {
    "num_topics": ("static_hyperparameters", "num_topics"),
    "max_training_jobs": ("tuning", "max_training_jobs"),
    "max_parallel_training_jobs": ("tuning", "max_parallel_training_jobs"),
    "ranges": ("ranges",),
}
FIRST_RETRY_WAIT_SECONDS = 30
# Version placeholder resolved to the dataset's newest manifest by the first state.
LATEST_VERSION = "latest"


@dataclass(frozen=True)
class RunRequest:
    """A trigger's request: trigger kind, dataset, version and overrides, before validation."""

    trigger: str  # "manual", "data" or "schedule"
    dataset: str
    version: str
    overrides: dict[str, object] = field(default_factory=dict)


def parse_trigger(event: Mapping[str, object], default_dataset: str) -> RunRequest:
    """Turn a manual input, an S3 event or a schedule's input into a RunRequest."""
    if event.get("source") == "aws.s3":
        detail = event.get("detail") or {}
        key = str(((detail.get("object") or {}).get("key")) or "")  # type: ignore[union-attr]
        match = MANIFEST_KEY_PATTERN.match(key)
        if not match:
            raise SpecError(
                [
                    Problem(
                        "detail.object.key",
                        key,
                        "only datasets/NAME/VERSION/manifest.json starts a run",
                        "Write the manifest last, at that key",
                    )
                ]
            )
        return RunRequest("data", match["dataset"], match["version"])

    trigger = event.get("trigger", "manual")
    if trigger not in ("manual", "schedule"):
        raise SpecError([Problem("trigger", trigger, "unknown trigger", 'Use "manual" or "schedule"')])
    dataset = event.get("dataset", default_dataset)
    # A schedule retunes the newest version; a manual start may ask for it too.
    version = event.get("version", LATEST_VERSION)
    overrides = event.get("overrides") or {}
    problems = []
    if not isinstance(dataset, str) or not NAME_PATTERN.match(dataset):
        problems.append(
            Problem(
                "dataset",
                dataset,
                "a dataset name is 1 to 64 letters, digits, dots, hyphens and underscores",
                "Use the NAME part of datasets/NAME/VERSION/",
            )
        )
    if not isinstance(version, str) or not NAME_PATTERN.match(version):
        problems.append(
            Problem(
                "version",
                version,
                "a dataset version is 1 to 64 letters, digits, dots, hyphens and underscores",
                f'Use the VERSION part of datasets/NAME/VERSION/, or "{LATEST_VERSION}" for the newest',
            )
        )
    if not isinstance(overrides, Mapping):
        problems.append(
            Problem(
                "overrides",
                overrides,
                "overrides must be an object",
                'Write for example {"num_topics": 30}',
            )
        )
        overrides = {}
    for name in overrides:
        if name not in OVERRIDE_KEYS:
            problems.append(
                Problem(
                    f"overrides.{name}",
                    overrides[name],
                    "this setting cannot change per run",
                    "Allowed: " + ", ".join(OVERRIDE_KEYS),
                )
            )
    if problems:
        raise SpecError(problems)
    return RunRequest(str(trigger), dataset, version, dict(overrides))  # type: ignore[arg-type]


def apply_overrides(base: Mapping[str, object], overrides: Mapping[str, object]) -> TuningConfig:
    """Validate the stack's configuration with a run's overrides, by the same rules as synth."""
    patch: dict[str, object] = {}
    for name, value in overrides.items():
        path = OVERRIDE_KEYS[name]
        node = patch
        for part in path[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[path[-1]] = value
    return load_config(merge(base, patch))


def dataset_prefix(dataset: str, version: str) -> str:
    return f"{DATASETS_PREFIX}{dataset}/{version}/"


def plan_run(
    base_config: Mapping[str, object],
    request: RunRequest,
    *,
    feature_dim: int,
    now: datetime,
    token: str | None = None,
) -> dict[str, object]:
    """Return the state that the tuning task and the recorder read, or raise SpecError."""
    config = apply_overrides(base_config, request.overrides)
    run_id = build_tuning_job_name(config.job_name_prefix, now, token)
    tuning_job_config = build_tuning_job_config(config)
    static = build_static_hyperparameters(config, feature_dim)
    return {
        "decision": "run",
        "run": {
            "runId": run_id,
            "trigger": request.trigger,
            "dataset": request.dataset,
            "version": request.version,
            "datasetPrefix": dataset_prefix(request.dataset, request.version),
            "startedAt": now.isoformat(),
            "featureDim": feature_dim,
            "tuningJobConfig": tuning_job_config,
            "staticHyperParameters": static,
            "hyperParameterNames": hyperparameter_names(tuning_job_config, static),
            "maxCreateAttempts": MAX_CREATE_ATTEMPTS,
        },
        "attempt": {"number": 1, "tuningJobName": run_id, "waitSeconds": FIRST_RETRY_WAIT_SECONDS},
    }
