"""GPU spend of a run, computed from DescribeTrainingJob and DescribeHyperParameterTuningJob responses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ntm_spec.instances import GPUS_PER_INSTANCE, NTM_GPU_INSTANCE_TYPES
from ntm_spec.spend import gpus_per_instance, summarize_spend, training_job_usage, tuning_job_runtime_seconds


def job(
    *,
    status: str = "Completed",
    instance_type: str = "ml.g4dn.xlarge",
    instance_count: int = 1,
    training: int | None = 600,
    billable: int | None = 600,
    spot: bool = False,
) -> dict:
    description = {
        "TrainingJobName": "ntm-dev-261204120000-ab12-001-0000abcd",
        "TrainingJobStatus": status,
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": instance_count, "VolumeSizeInGB": 30},
        "EnableManagedSpotTraining": spot,
    }
    if training is not None:
        description["TrainingTimeInSeconds"] = training
    if billable is not None:
        description["BillableTimeInSeconds"] = billable
    return description


def test_every_ntm_gpu_type_has_gpu_count():
    assert set(NTM_GPU_INSTANCE_TYPES) <= set(GPUS_PER_INSTANCE)
    assert all(count >= 1 for count in GPUS_PER_INSTANCE.values())


@pytest.mark.parametrize(
    ("instance_type", "gpus"),
    [("ml.g4dn.xlarge", 1), ("ml.g4dn.12xlarge", 4), ("ml.p3.16xlarge", 8), ("ml.m5.xlarge", 0), ("ml.x9.huge", None)],
)
def test_gpus_per_instance(instance_type, gpus):
    assert gpus_per_instance(instance_type) == gpus


def test_single_job_gpu_hours():
    spend = summarize_spend([job(billable=1800, training=1800)])

    assert spend.training_jobs == 1
    assert spend.billable_training_seconds == 1800
    assert spend.gpu_hours == 0.5


def test_multi_instance_job_counts_each_instance():
    spend = summarize_spend([job(instance_type="ml.p3.8xlarge", instance_count=3, training=1200, billable=1200)])

    assert spend.billable_training_seconds == 3600
    assert spend.training_seconds == 3600
    # 3600 instance-seconds x 4 GPUs each.
    assert spend.gpu_hours == 4.0


def test_spot_savings_from_billable_and_training_time():
    spend = summarize_spend(
        [
            job(spot=True, training=1000, billable=200),
            job(spot=True, instance_count=2, training=1000, billable=700),
        ]
    )

    # Billable 200 + 1400 = 1600 of 1000 + 2000 = 3000 instance-seconds.
    assert spend.billable_training_seconds == 1600
    assert spend.training_seconds == 3000
    assert spend.spot_savings_percent == pytest.approx(46.67)


def test_on_demand_jobs_have_no_savings():
    spend = summarize_spend([job(), job()])

    assert spend.spot_savings_percent == 0.0


def test_failed_and_stopped_jobs_count():
    spend = summarize_spend(
        [
            job(status="Failed", training=300, billable=300),
            job(status="Stopped", training=900, billable=900),
            job(status="Completed", training=600, billable=600),
        ]
    )

    assert spend.billable_training_seconds == 1800
    assert spend.status_counts == {"Failed": 1, "Stopped": 1, "Completed": 1}


def test_job_that_never_started_counts_zero():
    spend = summarize_spend([job(status="Failed", training=None, billable=None), job(billable=360, training=360)])

    assert spend.training_jobs == 2
    assert spend.billable_training_seconds == 360
    assert spend.gpu_hours == 0.1


def test_missing_billable_time_uses_training_time():
    usage = training_job_usage(job(training=500, billable=None))

    assert usage.billable_seconds == 500


def test_heterogeneous_instance_groups():
    description = job(training=3600, billable=3600)
    description["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceType": "ml.g5.12xlarge", "InstanceCount": 1, "InstanceGroupName": "gpu"},
            {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "InstanceGroupName": "cpu"},
        ],
        "VolumeSizeInGB": 30,
    }

    spend = summarize_spend([description])

    assert spend.billable_training_seconds == 3 * 3600
    assert spend.gpu_hours == 4.0


def test_unknown_instance_type_counts_one_gpu():
    spend = summarize_spend([job(instance_type="ml.x9.huge", training=3600, billable=3600)])

    assert spend.gpu_hours == 1.0
    assert spend.unknown_instance_types == ("ml.x9.huge",)


def test_cpu_job_has_no_gpu_hours():
    spend = summarize_spend([job(instance_type="ml.c5.xlarge", training=3600, billable=3600)])

    assert spend.billable_training_seconds == 3600
    assert spend.gpu_hours == 0.0


def test_no_training_jobs():
    spend = summarize_spend([])

    assert (spend.training_jobs, spend.billable_training_seconds, spend.gpu_hours) == (0, 0, 0.0)


def test_runtime_from_consumed_resources():
    assert tuning_job_runtime_seconds({"ConsumedResources": {"RuntimeInSeconds": 5400}}) == 5400


def test_runtime_from_creation_and_end_time():
    description = {
        "CreationTime": datetime(2026, 12, 4, 11, 0, tzinfo=UTC),
        "HyperParameterTuningEndTime": datetime(2026, 12, 4, 11, 45, tzinfo=UTC),
    }

    assert tuning_job_runtime_seconds(description) == 2700


def test_runtime_unknown_while_running():
    assert tuning_job_runtime_seconds({"CreationTime": datetime(2026, 12, 4, 11, 0, tzinfo=UTC)}) is None


def test_record_fields():
    record = summarize_spend([job()], {"ConsumedResources": {"RuntimeInSeconds": 700}}).to_record()

    assert record == {
        "trainingJobCount": 1,
        "billableTrainingSeconds": 600,
        "trainingSeconds": 600,
        "gpuHours": pytest.approx(600 / 3600, abs=1e-4),
        "spotSavingsPercent": 0.0,
        "trainingJobStatuses": {"Completed": 1},
        "tuningJobRuntimeSeconds": 700,
    }
