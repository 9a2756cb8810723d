"""Turn a DescribeHyperParameterTuningJob response into a run record.

A run counts as succeeded only when the tuning job is `Completed` and its best
training job has a final objective value. Anything else is recorded as failed,
with SageMaker's reason and the job counters and without an objective.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from ntm_spec.hyperparameters import OBJECTIVE_METRIC

# Where the recorder writes one JSON summary per run in the artifacts bucket.
RUN_SUMMARY_PREFIX = "runs/"


@dataclass(frozen=True)
class BestTrainingJob:
    name: str
    objective_metric: str
    objective_value: float
    tuned_hyperparameters: dict[str, str]
    model_artifact_s3_uri: str
    training_start_time: str | None
    training_end_time: str | None


@dataclass(frozen=True)
class TuningResult:
    """What a run records about its tuning job."""

    tuning_job_name: str
    tuning_job_status: str
    outcome: str  # "succeeded" or "failed"
    reason: str
    training_job_status_counters: dict[str, int]
    objective_status_counters: dict[str, int]
    best_training_job: BestTrainingJob | None = None
    creation_time: str | None = None
    end_time: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def model_artifact_uri(output_path: str, training_job_name: str) -> str:
    """Return where SageMaker writes a training job's model: `OUTPUT/JOB/output/model.tar.gz`."""
    return f"{output_path.rstrip('/')}/{training_job_name}/output/model.tar.gz"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def summarize_tuning_job(description: dict) -> TuningResult:
    """Build the run record from a DescribeHyperParameterTuningJob response."""
    name = description["HyperParameterTuningJobName"]
    status = description["HyperParameterTuningJobStatus"]
    counters = {key: int(value) for key, value in description.get("TrainingJobStatusCounters", {}).items()}
    objective_counters = {key: int(value) for key, value in description.get("ObjectiveStatusCounters", {}).items()}
    common = {
        "tuning_job_name": name,
        "tuning_job_status": status,
        "training_job_status_counters": counters,
        "objective_status_counters": objective_counters,
        "creation_time": _iso(description.get("CreationTime")),
        "end_time": _iso(description.get("HyperParameterTuningEndTime")),
    }

    if status != "Completed":
        reason = description.get("FailureReason") or f"the tuning job ended with status {status}"
        return TuningResult(outcome="failed", reason=reason, **common)

    best = description.get("BestTrainingJob")
    metric = (best or {}).get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    if not best or "Value" not in metric:
        reason = (
            "the tuning job completed without a best training job"
            if not best
            else f"best training job {best.get('TrainingJobName')} has no final {OBJECTIVE_METRIC}"
        )
        return TuningResult(outcome="failed", reason=reason, **common)

    output_path = description.get("TrainingJobDefinition", {}).get("OutputDataConfig", {}).get("S3OutputPath", "")
    training_job_name = best["TrainingJobName"]
    best_job = BestTrainingJob(
        name=training_job_name,
        objective_metric=metric.get("MetricName", OBJECTIVE_METRIC),
        objective_value=float(metric["Value"]),
        tuned_hyperparameters=dict(best.get("TunedHyperParameters", {})),
        model_artifact_s3_uri=model_artifact_uri(output_path, training_job_name) if output_path else "",
        training_start_time=_iso(best.get("TrainingStartTime")),
        training_end_time=_iso(best.get("TrainingEndTime")),
    )
    return TuningResult(outcome="succeeded", reason="", best_training_job=best_job, **common)
