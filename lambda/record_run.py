"""Last state of every run: record the outcome in the run history.

The event comes in one of four forms:
- the success path's state, with `tuningJob` (the ended job's name and status);
- the failure path's state, with `error` (the Error and Cause that Step Functions caught);
- a skipped run's state, with `decision: skip`;
- Step Functions' `Execution Status Change` for an execution that timed out or was aborted.

The handler describes the tuning job, when one exists, and its training jobs,
whose billable time gives the run's GPU hours. It writes one
DynamoDB item, one JSON summary in S3 and CloudWatch metrics in the `NtmTuning`
namespace: `Runs` for every record, the run's duration, training jobs and GPU
hours when a tuning job exists, and the best objective value for a succeeded
run. A succeeded run also puts an `NTM Tuning Run Completed` event on the
default event bus (docs/events.md). Recording a run again replaces its item and
summary, so each run has exactly one record, but metrics and the event are sent
again.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

import boto3
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from ntm_spec.errors import SpecError
from ntm_spec.results import RUN_SUMMARY_PREFIX, TuningResult, summarize_tuning_job
from ntm_spec.runs import parse_trigger
from ntm_spec.spend import RunSpend, summarize_spend
from run_lock import release_run_lock, run_lock_holder

logger = logging.getLogger()
logger.setLevel(logging.INFO)

METRIC_NAMESPACE = "NtmTuning"
METRIC_NAME = "BestValidationTotalLoss"
RUNS_METRIC = "Runs"
RUN_DURATION_METRIC = "RunDurationSeconds"
TRAINING_JOBS_METRIC = "TrainingJobs"
GPU_HOURS_METRIC = "GpuHours"

COMPLETED_EVENT_DETAIL_TYPE = "NTM Tuning Run Completed"
# ListTrainingJobsForHyperParameterTuningJob returns at most 100 training jobs per page.
_TRAINING_JOBS_PAGE_SIZE = 100


def completed_event_source(stage: str) -> str:
    """Return the `source` of the stage's run events, such as `ntm-tuning.dev`."""
    return f"ntm-tuning.{stage}"


@dataclass(frozen=True)
class Settings:
    table_name: str
    locks_table: str
    artifacts_bucket: str
    stage: str

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            table_name=os.environ["RUN_HISTORY_TABLE"],
            locks_table=os.environ["LOCKS_TABLE"],
            artifacts_bucket=os.environ["ARTIFACTS_BUCKET"],
            stage=os.environ["STAGE"],
        )


@dataclass(frozen=True)
class Clients:
    sagemaker: object
    dynamodb: object
    s3: object
    cloudwatch: object
    events: object


@cache
def _clients() -> Clients:
    return Clients(
        sagemaker=boto3.client("sagemaker"),
        dynamodb=boto3.client("dynamodb"),
        s3=boto3.client("s3"),
        cloudwatch=boto3.client("cloudwatch"),
        events=boto3.client("events"),
    )


def handler(event: dict, context: object) -> dict:
    clients, settings, now = _clients(), Settings.from_environment(), datetime.now(UTC)
    if event.get("source") == "aws.states":
        return record_ended_execution(event, clients=clients, settings=settings, now=now)
    return record_run(event, clients=clients, settings=settings, now=now)


def record_run(event: dict, *, clients: Clients, settings: Settings, now: datetime) -> dict:
    """Record the run described by a workflow state; return its outcome for the next state."""
    state = event.get("state") or {}
    execution = event.get("execution") or {}
    execution_name = execution.get("name", "")
    run_key = f"{execution.get('startTime', '')}#{execution_name}"

    if state.get("decision") == "skip":
        skip = state["skip"]
        record = _base_record(skip, run_key, execution_name, "skipped", skip["reason"], settings, now)
        record["activeExecution"] = skip.get("activeExecution", "")
        return _write(record, clients, settings, now, tuning_job_name=None)

    run = state.get("run") or {}
    error = state.get("error")
    tuning_job_name = (state.get("tuningJob") or {}).get("HyperParameterTuningJobName") or (
        state.get("attempt") or {}
    ).get("tuningJobName")

    description = _describe(clients.sagemaker, tuning_job_name) if tuning_job_name and _job_may_exist(error) else None
    result = summarize_tuning_job(description) if description is not None else None
    outcome, reason = _outcome(result, error)

    details = run or _trigger_details(state)
    record = _base_record(details, run_key, execution_name, outcome, reason, settings, now)
    record["runId"] = run.get("runId", "")
    if run:
        record["hyperParameterNames"] = run.get("hyperParameterNames", [])
        warm_start = run.get("warmStart") or {}
        record["warmStartParents"] = warm_start.get("parents", [])
        record["warmStartType"] = warm_start.get("type") or "cold"
        record["warmStartReason"] = warm_start.get("reason", "")
    if result is not None:
        record.update(_result_fields(result))
        record.update(_spend_fields(clients.sagemaker, description))
        record["runDurationSeconds"] = _duration_seconds(execution.get("startTime"), now)

    response = _write(record, clients, settings, now, tuning_job_name=tuning_job_name)
    if record["outcome"] == "succeeded":
        _put_completed_event(clients.events, record, settings, description)
    # Every exit path of the workflow that ran or tried a tuning job passes here.
    release_run_lock(clients.dynamodb, settings.locks_table, dataset=record["dataset"], execution_name=execution_name)
    return response


def record_ended_execution(event: dict, *, clients: Clients, settings: Settings, now: datetime) -> dict:
    """Record an execution that timed out or was aborted, whose own states could not record it.

    The event is Step Functions' `Execution Status Change` from EventBridge.
    """
    detail = event["detail"]
    execution_name = detail["name"]
    try:
        trigger_event = json.loads(detail.get("input") or "{}")
    except json.JSONDecodeError:
        trigger_event = {}
    details = _trigger_details(trigger_event)
    holder = run_lock_holder(clients.dynamodb, settings.locks_table, dataset=details.get("dataset", "-"))
    run_id = holder.run_id if holder and holder.execution_name == execution_name else ""

    started = _execution_start_time(detail.get("startDate"))
    reason = f"the execution ended {detail['status']} before it could record the run"
    record = _base_record(details, f"{started}#{execution_name}", execution_name, "failed", reason, settings, now)
    record["runId"] = run_id
    description = _describe(clients.sagemaker, run_id) if run_id else None
    if description is not None:
        record.update(_result_fields(summarize_tuning_job(description)))
        record.update(_spend_fields(clients.sagemaker, description))
        record["runDurationSeconds"] = _duration_seconds(started, now)
        record["outcome"], record["reason"] = "failed", reason
    response = _write(record, clients, settings, now, tuning_job_name=run_id or None)
    release_run_lock(clients.dynamodb, settings.locks_table, dataset=record["dataset"], execution_name=execution_name)
    return response


def _execution_start_time(start_date_ms: object) -> str:
    # Step Functions writes $$.Execution.StartTime as ISO 8601 UTC with milliseconds.
    if not isinstance(start_date_ms, (int, float)):
        return ""
    moment = datetime.fromtimestamp(start_date_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(start_date_ms) % 1000:03d}Z"


def _trigger_details(trigger_event: dict) -> dict:
    """Read dataset, version and trigger from a run's input, as far as it is valid."""
    try:
        request = parse_trigger(trigger_event, default_dataset="-")
    except SpecError:
        return {
            "dataset": str(trigger_event.get("dataset") or "-"),
            "version": str(trigger_event.get("version") or ""),
            "trigger": str(trigger_event.get("trigger") or "manual"),
        }
    return {"dataset": request.dataset, "version": request.version, "trigger": request.trigger}


def _base_record(
    details: dict, run_key: str, execution_name: str, outcome: str, reason: str, settings: Settings, now: datetime
) -> dict:
    return {
        "dataset": details.get("dataset") or "-",
        "runKey": run_key,
        "executionName": execution_name,
        "trigger": details.get("trigger") or "manual",
        "version": details.get("version") or "",
        "outcome": outcome,
        "reason": reason,
        "recordedAt": now.isoformat(),
        "stage": settings.stage,
    }


def _write(record: dict, clients: Clients, settings: Settings, now: datetime, *, tuning_job_name: str | None) -> dict:
    summary_key = f"{RUN_SUMMARY_PREFIX}{record['dataset']}/{record['runKey'].replace(':', '-').replace('#', '_')}.json"
    record["summaryS3Uri"] = f"s3://{settings.artifacts_bucket}/{summary_key}"

    clients.s3.put_object(
        Bucket=settings.artifacts_bucket,
        Key=summary_key,
        Body=json.dumps(record, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )
    clients.dynamodb.put_item(TableName=settings.table_name, Item=_to_dynamodb(record))
    clients.cloudwatch.put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=_metric_data(record, settings, now))

    logger.info(
        "Run recorded",
        extra={
            "run_key": record["runKey"],
            "outcome": record["outcome"],
            "tuning_job_name": tuning_job_name,
            "reason": record["reason"],
        },
    )
    return {
        "outcome": record["outcome"],
        "reason": record["reason"],
        "tuningJobName": tuning_job_name,
        "objectiveValue": record.get("objectiveValue"),
        "summaryS3Uri": record["summaryS3Uri"],
    }


def _metric_data(record: dict, settings: Settings, now: datetime) -> list[dict]:
    """Return the run's metrics: `Runs` by outcome always, the others only when their value is known."""
    stage = {"Name": "Stage", "Value": settings.stage}
    per_dataset = [stage, {"Name": "Dataset", "Value": record["dataset"]}]
    data = [
        {
            "MetricName": RUNS_METRIC,
            "Dimensions": [stage, {"Name": "Outcome", "Value": record["outcome"]}],
            "Value": 1,
            "Unit": "Count",
            "Timestamp": now,
        }
    ]
    per_run = (
        (RUN_DURATION_METRIC, "runDurationSeconds", "Seconds"),
        (TRAINING_JOBS_METRIC, "trainingJobCount", "Count"),
        (GPU_HOURS_METRIC, "gpuHours", "None"),
    )
    for metric_name, field_name, unit in per_run:
        if record.get(field_name) is not None:
            data.append(
                {
                    "MetricName": metric_name,
                    "Dimensions": per_dataset,
                    "Value": record[field_name],
                    "Unit": unit,
                    "Timestamp": now,
                }
            )
    if record["outcome"] == "succeeded":
        data.append(
            {"MetricName": METRIC_NAME, "Dimensions": per_dataset, "Value": record["objectiveValue"], "Timestamp": now}
        )
    return data


def _spend_fields(sagemaker, description: dict) -> dict[str, object]:
    """Describe the tuning job's training jobs and return the run's spend fields.

    A run is recorded even when its training jobs cannot be read, because
    losing the record would cost more than missing GPU hours. The error is
    logged, and the spend fields are left out.
    """
    tuning_job_name = description["HyperParameterTuningJobName"]
    # NOTE: one DescribeTrainingJob call per training job, in sequence. A run of 750 jobs
    # (the limit) fits the 5-minute timeout only at 0.4 s per call or less, and the calls'
    # real latency is not measured.
    try:
        training_jobs = [
            sagemaker.describe_training_job(TrainingJobName=name)
            for name in _training_job_names(sagemaker, tuning_job_name)
        ]
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "Training jobs could not be read; the run is recorded without GPU hours",
            extra={"tuning_job_name": tuning_job_name, "error": str(error)},
        )
        return {}
    spend: RunSpend = summarize_spend(training_jobs, description)
    if spend.unknown_instance_types:
        logger.warning(
            "GPU count unknown for instance types; counted one GPU per instance",
            extra={"tuning_job_name": tuning_job_name, "instance_types": list(spend.unknown_instance_types)},
        )
    return spend.to_record()


def _training_job_names(sagemaker, tuning_job_name: str) -> list[str]:
    paginator = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    pages = paginator.paginate(
        HyperParameterTuningJobName=tuning_job_name, PaginationConfig={"PageSize": _TRAINING_JOBS_PAGE_SIZE}
    )
    return [summary["TrainingJobName"] for page in pages for summary in page["TrainingJobSummaries"]]


def _duration_seconds(start_time: object, now: datetime) -> int | None:
    """Return the seconds from the execution's start time (ISO 8601) to `now`, or None when it is unknown."""
    if not isinstance(start_time, str) or not start_time:
        return None
    try:
        started = datetime.fromisoformat(start_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return max(0, int((now - started).total_seconds()))


def _put_completed_event(events, record: dict, settings: Settings, description: dict | None) -> None:
    """Put the `NTM Tuning Run Completed` event for a succeeded run; raise when EventBridge rejects it."""
    detail = {
        "stage": settings.stage,
        "dataset": record["dataset"],
        "version": record["version"],
        "runId": record.get("runId", ""),
        "executionName": record["executionName"],
        "trigger": record["trigger"],
        "tuningJobName": record["tuningJobName"],
        "bestTrainingJobName": record["bestTrainingJobName"],
        "objectiveMetric": record["objectiveMetric"],
        "objectiveValue": record["objectiveValue"],
        "tunedHyperParameters": record["tunedHyperParameters"],
        "modelArtifactS3Uri": record["modelArtifactS3Uri"],
        "gpuHours": record.get("gpuHours"),
        "summaryS3Uri": record["summaryS3Uri"],
        "recordedAt": record["recordedAt"],
    }
    entry = {
        "Source": completed_event_source(settings.stage),
        "DetailType": COMPLETED_EVENT_DETAIL_TYPE,
        "Detail": json.dumps(detail, sort_keys=True),
    }
    tuning_job_arn = (description or {}).get("HyperParameterTuningJobArn")
    if tuning_job_arn:
        entry["Resources"] = [tuning_job_arn]
    response = events.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        failure = response["Entries"][0]
        raise RuntimeError(
            f"EventBridge rejected the {COMPLETED_EVENT_DETAIL_TYPE} event of run {record['runKey']}: "
            f"{failure.get('ErrorCode')}: {failure.get('ErrorMessage')}"
        )
    logger.info(
        "Run completed event sent",
        extra={"run_key": record["runKey"], "event_id": response["Entries"][0].get("EventId")},
    )


def _job_may_exist(error: dict | None) -> bool:
    # A rejected run never reached SageMaker, so there is nothing to describe.
    return not error or error.get("Error") != "RunRejected"


def _describe(sagemaker, name: str) -> dict | None:
    """Return the DescribeHyperParameterTuningJob response, or None when the job was never created."""
    try:
        return sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except sagemaker.exceptions.ResourceNotFound:
        logger.info("Tuning job not found; it was never created", extra={"tuning_job_name": name})
        return None


def _outcome(result: TuningResult | None, error: dict | None) -> tuple[str, str]:
    if error:
        cause = _error_message(error)
        if error.get("Error") == "RunRejected":
            return "rejected", cause
        if result is not None and result.reason:
            return "failed", result.reason
        return "failed", f"{error.get('Error', 'Error')}: {cause}"
    if result is None:
        return "failed", "the tuning job was not found"
    return result.outcome, result.reason


def _error_message(error: dict) -> str:
    cause = error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
    except (TypeError, json.JSONDecodeError):
        return cause
    if isinstance(parsed, dict):
        return str(parsed.get("errorMessage") or parsed.get("FailureReason") or cause)
    return cause


def _result_fields(result: TuningResult) -> dict[str, object]:
    fields: dict[str, object] = {
        "tuningJobName": result.tuning_job_name,
        "tuningJobStatus": result.tuning_job_status,
        "trainingJobStatusCounters": result.training_job_status_counters,
        "objectiveStatusCounters": result.objective_status_counters,
    }
    if result.creation_time:
        fields["tuningJobCreationTime"] = result.creation_time
    if result.end_time:
        fields["tuningJobEndTime"] = result.end_time
    best = result.best_training_job
    if result.outcome == "succeeded" and best is not None:
        fields.update(
            {
                "bestTrainingJobName": best.name,
                "objectiveMetric": best.objective_metric,
                "objectiveValue": best.objective_value,
                "tunedHyperParameters": best.tuned_hyperparameters,
                "modelArtifactS3Uri": best.model_artifact_s3_uri,
                "trainingStartTime": best.training_start_time,
                "trainingEndTime": best.training_end_time,
            }
        )
    return {key: value for key, value in fields.items() if value is not None}


def _to_dynamodb(record: dict[str, object]) -> dict[str, dict]:
    serializer = TypeSerializer()
    return {key: serializer.serialize(_decimals(value)) for key, value in record.items() if value not in (None, "")}


def _decimals(value: object) -> object:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _decimals(item) for key, item in value.items()}
    return value
