"""Run-history records as the recorder Lambda writes them, read back from DynamoDB.

Each item has the partition key `dataset` and the sort key `runKey`, which is
`STARTEDAT#EXECUTIONNAME` with STARTEDAT in ISO 8601, so sorting by `runKey`
sorts a dataset's runs by start time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ntm_tune.errors import UsageError


@dataclass(frozen=True)
class RunRecord:
    """One run of the tuning workflow: its trigger, outcome and best training job."""

    dataset: str
    run_key: str
    execution_name: str
    run_id: str
    trigger: str
    version: str
    outcome: str
    reason: str
    recorded_at: str
    tuning_job_name: str = ""
    tuning_job_status: str = ""
    training_job_status_counters: dict[str, int] = field(default_factory=dict)
    best_training_job_name: str = ""
    objective_metric: str = ""
    objective_value: float | None = None
    tuned_hyperparameters: dict[str, str] = field(default_factory=dict)
    model_artifact_s3_uri: str = ""
    summary_s3_uri: str = ""
    gpu_hours: float | None = None
    billable_training_seconds: float | None = None

    @property
    def started_at(self) -> str:
        """Start of the run in ISO 8601, the part of `runKey` before `#`."""
        return self.run_key.partition("#")[0]

    @property
    def started_at_datetime(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.started_at)
        except ValueError:
            return None

    def matches(self, name: str) -> bool:
        """Tell whether `name` is this run's run id, execution name or tuning job name."""
        return name in (self.run_id, self.execution_name, self.tuning_job_name)

    @classmethod
    def from_item(cls, item: dict[str, object]) -> RunRecord:
        """Build a record from a deserialized DynamoDB item; absent attributes get empty values."""
        return cls(
            dataset=str(item.get("dataset", "")),
            run_key=str(item.get("runKey", "")),
            execution_name=str(item.get("executionName", "")),
            run_id=str(item.get("runId", "")),
            trigger=str(item.get("trigger", "")),
            version=str(item.get("version", "")),
            outcome=str(item.get("outcome", "")),
            reason=str(item.get("reason", "")),
            recorded_at=str(item.get("recordedAt", "")),
            tuning_job_name=str(item.get("tuningJobName", "")),
            tuning_job_status=str(item.get("tuningJobStatus", "")),
            training_job_status_counters={
                str(key): int(value) for key, value in dict(item.get("trainingJobStatusCounters") or {}).items()
            },
            best_training_job_name=str(item.get("bestTrainingJobName", "")),
            objective_metric=str(item.get("objectiveMetric", "")),
            objective_value=_number(item.get("objectiveValue")),
            tuned_hyperparameters={
                str(key): str(value) for key, value in dict(item.get("tunedHyperParameters") or {}).items()
            },
            model_artifact_s3_uri=str(item.get("modelArtifactS3Uri", "")),
            summary_s3_uri=str(item.get("summaryS3Uri", "")),
            gpu_hours=_number(item.get("gpuHours")),
            billable_training_seconds=_number(item.get("billableTrainingSeconds")),
        )

    def to_json(self) -> dict[str, object]:
        """Return the record with the table's attribute names; absent numbers are null."""
        return {
            "dataset": self.dataset,
            "runKey": self.run_key,
            "startedAt": self.started_at,
            "executionName": self.execution_name,
            "runId": self.run_id,
            "trigger": self.trigger,
            "version": self.version,
            "outcome": self.outcome,
            "reason": self.reason,
            "recordedAt": self.recorded_at,
            "tuningJobName": self.tuning_job_name,
            "tuningJobStatus": self.tuning_job_status,
            "trainingJobStatusCounters": self.training_job_status_counters,
            "bestTrainingJobName": self.best_training_job_name,
            "objectiveMetric": self.objective_metric,
            "objectiveValue": self.objective_value,
            "tunedHyperParameters": self.tuned_hyperparameters,
            "modelArtifactS3Uri": self.model_artifact_s3_uri,
            "summaryS3Uri": self.summary_s3_uri,
            "gpuHours": self.gpu_hours,
            "billableTrainingSeconds": self.billable_training_seconds,
        }


def read_runs(dynamodb, table_name: str, dataset: str | None = None) -> list[RunRecord]:
    """Return the runs of one dataset, or of every dataset when `dataset` is None, newest first.

    Without a dataset this scans the whole table. One item per run keeps the table small,
    so a scan costs little, but it reads every item.
    """
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    if dataset is None:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table_name)
    else:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=table_name,
            KeyConditionExpression="dataset = :dataset",
            ExpressionAttributeValues={":dataset": {"S": dataset}},
            ScanIndexForward=False,
        )
    runs = [
        RunRecord.from_item({key: deserializer.deserialize(value) for key, value in item.items()})
        for page in pages
        for item in page.get("Items", [])
    ]
    runs.sort(key=lambda run: (run.started_at, run.run_key), reverse=True)
    return runs


def find_run(runs: list[RunRecord], name: str | None) -> RunRecord:
    """Return the run named `name`, or the newest run that reached SageMaker when `name` is None."""
    if name is None:
        for run in runs:
            if run.tuning_job_name:
                return run
        raise UsageError("the run history has no run with a tuning job yet. Start one with `ntm-tune start`")
    for run in runs:
        if run.matches(name):
            return run
    raise UsageError(
        f"no run {name!r} is in the run history. Pass a run id, execution name or tuning job name "
        "that `ntm-tune history` lists"
    )


def best_succeeded_run(runs: list[RunRecord], version: str | None = None) -> RunRecord | None:
    """Return the succeeded run with the lowest objective value (validation:total_loss is minimized)."""
    candidates = [
        run
        for run in runs
        if run.outcome == "succeeded" and run.objective_value is not None and version in (None, run.version)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda run: (run.objective_value, run.started_at))


def _number(value: object) -> float | None:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return None
