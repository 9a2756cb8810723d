"""A tuning job's training jobs and tuned ranges, as the report plots them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

# A range whose scaling SageMaker chooses (Auto) is drawn on a log axis when it is
# positive and spans at least this factor, as learning_rate's 1e-4..0.1 does.
LOG_AXIS_MIN_SPAN = 100.0


@dataclass(frozen=True)
class TrainingJobResult:
    """One training job that a tuning job launched, with its final objective value if it has one."""

    name: str
    creation_time: datetime
    status: str
    objective_value: float | None
    tuned_hyperparameters: dict[str, str]


@dataclass(frozen=True)
class TunedRange:
    """One tuned hyperparameter: numeric (integer or continuous) or categorical."""

    name: str
    kind: str  # "Integer", "Continuous" or "Categorical"
    scaling: str  # SageMaker's ScalingType; "" for categorical ranges
    min_value: float | None = None
    max_value: float | None = None
    values: tuple[str, ...] = ()

    @property
    def log_axis(self) -> bool:
        """Tell whether to draw this range on a log axis: Logarithmic scaling, or Auto over a wide positive span."""
        if self.kind == "Categorical" or self.min_value is None or self.max_value is None or self.min_value <= 0:
            return False
        if self.scaling == "Logarithmic":
            return True
        return self.scaling == "Auto" and self.max_value / self.min_value >= LOG_AXIS_MIN_SPAN


def list_training_jobs(sagemaker, tuning_job_name: str) -> list[TrainingJobResult]:
    """Return every training job of the tuning job in launch order (creation time, then name)."""
    paginator = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    jobs = []
    for page in paginator.paginate(
        HyperParameterTuningJobName=tuning_job_name, SortBy="CreationTime", SortOrder="Ascending"
    ):
        for summary in page["TrainingJobSummaries"]:
            metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
            value = metric.get("Value")
            jobs.append(
                TrainingJobResult(
                    name=summary["TrainingJobName"],
                    creation_time=summary["CreationTime"],
                    status=summary["TrainingJobStatus"],
                    objective_value=float(value) if value is not None and math.isfinite(float(value)) else None,
                    tuned_hyperparameters=dict(summary.get("TunedHyperParameters", {})),
                )
            )
    jobs.sort(key=lambda job: (job.creation_time, job.name))
    return jobs


def tuned_ranges(tuning_job_description: dict) -> list[TunedRange]:
    """Return the tuned ranges of a DescribeHyperParameterTuningJob response, in its order."""
    ranges = tuning_job_description.get("HyperParameterTuningJobConfig", {}).get("ParameterRanges", {})
    result = []
    for kind in ("Continuous", "Integer"):
        for entry in ranges.get(f"{kind}ParameterRanges", []):
            result.append(
                TunedRange(
                    name=entry["Name"],
                    kind=kind,
                    scaling=entry.get("ScalingType", "Auto"),
                    min_value=float(entry["MinValue"]),
                    max_value=float(entry["MaxValue"]),
                )
            )
    for entry in ranges.get("CategoricalParameterRanges", []):
        result.append(TunedRange(name=entry["Name"], kind="Categorical", scaling="", values=tuple(entry["Values"])))
    return result
