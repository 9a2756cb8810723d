"""Compute what one run spent on training: billable seconds, GPU hours and spot savings.

The input is what SageMaker returns: one DescribeTrainingJob response per
training job that the tuning job launched, and the DescribeHyperParameterTuningJob
response. Every training job counts, whatever its status, because SageMaker
bills failed and stopped jobs for the time they ran.

SageMaker's API reference (DescribeTrainingJob) defines the units used here:
`BillableTimeInSeconds` is wall-clock time per instance, so the billed compute
time of a job is `BillableTimeInSeconds * InstanceCount`, and the savings of
managed spot training are `(1 - BillableTimeInSeconds / TrainingTimeInSeconds) * 100`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ntm_spec.instances import GPUS_PER_INSTANCE, is_cpu_instance_type

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class InstanceGroup:
    instance_type: str
    instance_count: int


@dataclass(frozen=True)
class TrainingJobUsage:
    """The resources that one training job used, read from its DescribeTrainingJob response."""

    name: str
    status: str
    instance_groups: tuple[InstanceGroup, ...]
    # Wall-clock seconds per instance.
    billable_seconds: int
    training_seconds: int
    managed_spot: bool

    @property
    def instance_count(self) -> int:
        return sum(group.instance_count for group in self.instance_groups)


@dataclass(frozen=True)
class RunSpend:
    """What the training jobs of one run used, summed over every job.

    Seconds are instance-seconds: a job on two instances for 100 s counts 200 s.
    """

    training_jobs: int
    billable_training_seconds: int
    training_seconds: int
    gpu_hours: float
    # 0.0 when no training job used managed spot training.
    spot_savings_percent: float
    status_counts: dict[str, int] = field(default_factory=dict)
    # Wall-clock runtime of the tuning job, from its ConsumedResources; None when SageMaker does not report it.
    tuning_job_runtime_seconds: int | None = None
    # Instance types missing from GPUS_PER_INSTANCE, counted as one GPU per instance.
    unknown_instance_types: tuple[str, ...] = ()

    def to_record(self) -> dict[str, object]:
        """Return the run-history fields, named as the recorder writes them."""
        fields: dict[str, object] = {
            "trainingJobCount": self.training_jobs,
            "billableTrainingSeconds": self.billable_training_seconds,
            "trainingSeconds": self.training_seconds,
            "gpuHours": self.gpu_hours,
            "spotSavingsPercent": self.spot_savings_percent,
            "trainingJobStatuses": dict(self.status_counts),
        }
        if self.tuning_job_runtime_seconds is not None:
            fields["tuningJobRuntimeSeconds"] = self.tuning_job_runtime_seconds
        return fields


def gpus_per_instance(instance_type: str) -> int | None:
    """Return the GPU count of one instance: 0 for a CPU type, None for a type missing from the table."""
    if is_cpu_instance_type(instance_type):
        return 0
    return GPUS_PER_INSTANCE.get(instance_type)


def training_job_usage(description: Mapping[str, object]) -> TrainingJobUsage:
    """Read one DescribeTrainingJob response.

    A job that never started reports neither time and counts 0 s. When only
    `TrainingTimeInSeconds` is present, it is taken as the billable time too.
    """
    resources = description.get("ResourceConfig") or {}
    groups = resources.get("InstanceGroups") or []  # type: ignore[union-attr]
    if groups:
        instance_groups = tuple(
            InstanceGroup(str(group["InstanceType"]), int(group["InstanceCount"])) for group in groups
        )
    else:
        instance_groups = (
            InstanceGroup(
                str(resources.get("InstanceType", "")),  # type: ignore[union-attr]
                int(resources.get("InstanceCount", 1)),  # type: ignore[union-attr]
            ),
        )

    training_seconds = _seconds(description.get("TrainingTimeInSeconds"))
    billable = description.get("BillableTimeInSeconds")
    # NOTE: a job that is still running, or that failed before SageMaker billed it, may lack
    # BillableTimeInSeconds; the training time is used instead, which overstates a spot job.
    billable_seconds = _seconds(billable) if billable is not None else training_seconds
    return TrainingJobUsage(
        name=str(description.get("TrainingJobName", "")),
        status=str(description.get("TrainingJobStatus", "")),
        instance_groups=instance_groups,
        billable_seconds=billable_seconds,
        training_seconds=training_seconds,
        managed_spot=bool(description.get("EnableManagedSpotTraining", False)),
    )


def summarize_spend(
    training_job_descriptions: Iterable[Mapping[str, object]],
    tuning_job_description: Mapping[str, object] | None = None,
) -> RunSpend:
    """Sum the spend of a run's training jobs, failed and stopped jobs included.

    GPU hours are billable instance-seconds times the GPUs of each instance,
    divided by 3600.
    """
    jobs = [training_job_usage(description) for description in training_job_descriptions]

    billable_total = 0
    training_total = 0
    gpu_seconds = 0
    unknown: set[str] = set()
    status_counts: dict[str, int] = {}
    for job in jobs:
        status_counts[job.status] = status_counts.get(job.status, 0) + 1
        for group in job.instance_groups:
            billable_total += job.billable_seconds * group.instance_count
            training_total += job.training_seconds * group.instance_count
            gpus = gpus_per_instance(group.instance_type)
            if gpus is None:
                unknown.add(group.instance_type)
                gpus = 1
            gpu_seconds += job.billable_seconds * group.instance_count * gpus

    return RunSpend(
        training_jobs=len(jobs),
        billable_training_seconds=billable_total,
        training_seconds=training_total,
        gpu_hours=round(gpu_seconds / SECONDS_PER_HOUR, 4),
        spot_savings_percent=_spot_savings_percent(jobs),
        status_counts=status_counts,
        tuning_job_runtime_seconds=tuning_job_runtime_seconds(tuning_job_description or {}),
        unknown_instance_types=tuple(sorted(unknown)),
    )


def tuning_job_runtime_seconds(description: Mapping[str, object]) -> int | None:
    """Return the tuning job's wall-clock runtime: ConsumedResources.RuntimeInSeconds, else end minus creation."""
    consumed = description.get("ConsumedResources") or {}
    runtime = consumed.get("RuntimeInSeconds")  # type: ignore[union-attr]
    if runtime is not None:
        return _seconds(runtime)
    created, ended = description.get("CreationTime"), description.get("HyperParameterTuningEndTime")
    if isinstance(created, datetime) and isinstance(ended, datetime):
        return max(0, int((ended - created).total_seconds()))
    return None


def _spot_savings_percent(jobs: list[TrainingJobUsage]) -> float:
    """Return the savings of the spot jobs against their training time, weighted by instance-seconds."""
    spot_jobs = [job for job in jobs if job.managed_spot]
    training = sum(job.training_seconds * job.instance_count for job in spot_jobs)
    if training == 0:
        return 0.0
    billable = sum(job.billable_seconds * job.instance_count for job in spot_jobs)
    return round((1 - billable / training) * 100, 2)


def _seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(0, int(value))
