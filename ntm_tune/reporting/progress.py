"""Progress of one execution of the tuning workflow, read from Step Functions and SageMaker.

One poll costs one DescribeExecution, one GetExecutionHistory page (newest events
first, so the latest create attempt comes before earlier ones) and, once the tuning
job exists, one DescribeHyperParameterTuningJob.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from ntm_spec.hyperparameters import OBJECTIVE_METRIC

# The `.sync` task's resource as Step Functions reports it in TaskScheduled events.
TUNING_TASK_RESOURCE_TYPE = "sagemaker"
TUNING_TASK_RESOURCE_PREFIX = "createHyperParameterTuningJob"
# GetExecutionHistory's maximum page size. A run with five create attempts has fewer
# than 100 events (an estimate from the workflow's states), so one page is the whole history.
HISTORY_PAGE_SIZE = 1000
ENDED_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Progress:
    """Result of one poll: the execution, its tuning job and the best training job so far."""

    polled_at: datetime
    execution_arn: str
    execution_name: str
    execution_status: str
    elapsed_seconds: int
    tuning_job_name: str | None = None
    tuning_job_status: str | None = None
    max_training_jobs: int | None = None
    completed: int = 0
    running: int = 0
    failed: int = 0
    stopped: int = 0
    best_objective_value: float | None = None
    best_training_job_name: str | None = None
    reason: str = ""

    @property
    def ended(self) -> bool:
        return self.execution_status in ENDED_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.execution_status == "SUCCEEDED"

    def to_json(self) -> dict[str, object]:
        """Return the progress as one JSON object; `watch --json` prints one per poll."""
        best = None
        if self.best_objective_value is not None:
            best = {
                "metric": OBJECTIVE_METRIC,
                "value": self.best_objective_value,
                "trainingJobName": self.best_training_job_name,
            }
        return {
            "polledAt": self.polled_at.isoformat(),
            "executionArn": self.execution_arn,
            "executionName": self.execution_name,
            "executionStatus": self.execution_status,
            "elapsedSeconds": self.elapsed_seconds,
            "tuningJobName": self.tuning_job_name,
            "tuningJobStatus": self.tuning_job_status,
            "trainingJobs": {
                "max": self.max_training_jobs,
                "completed": self.completed,
                "running": self.running,
                "failed": self.failed,
                "stopped": self.stopped,
            },
            "bestObjective": best,
            "reason": self.reason or None,
        }

    def to_line(self) -> str:
        """Return the progress as one line of text."""
        parts = [f"{self.execution_name} {self.execution_status}", f"elapsed {format_duration(self.elapsed_seconds)}"]
        if self.tuning_job_name is None:
            parts.append("no tuning job yet")
        else:
            limit = self.max_training_jobs if self.max_training_jobs is not None else "?"
            parts.append(f"tuning job {self.tuning_job_name} {self.tuning_job_status}")
            counts = f"training jobs: {self.completed} completed, {self.running} running, {self.failed} failed"
            if self.stopped:
                counts += f", {self.stopped} stopped"
            parts.append(f"{counts} of max {limit}")
            if self.best_objective_value is None:
                parts.append(f"best {OBJECTIVE_METRIC}: none yet")
            else:
                parts.append(
                    f"best {OBJECTIVE_METRIC}: {self.best_objective_value:.6g} ({self.best_training_job_name})"
                )
        return " | ".join(parts)


def resolve_execution_arn(stepfunctions, state_machine_arn: str, execution: str | None) -> str:
    """Return the ARN of the named execution, or of the newest one when `execution` is None."""
    from ntm_tune.errors import UsageError

    if execution is None:
        # ListExecutions returns the newest execution first.
        executions = stepfunctions.list_executions(stateMachineArn=state_machine_arn, maxResults=1)["executions"]
        if not executions:
            raise UsageError("the state machine has no execution yet. Start a run with `ntm-tune start`")
        return executions[0]["executionArn"]
    if execution.startswith("arn:"):
        return execution
    # arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME -> ...:execution:NAME:EXECUTION
    prefix, _, machine_name = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine_name}:{execution}"


def poll_progress(stepfunctions, sagemaker, execution_arn: str, now: datetime | None = None) -> Progress:
    """Read the execution, find its tuning job in the history and describe the job."""
    now = now or datetime.now(UTC)
    execution = stepfunctions.describe_execution(executionArn=execution_arn)
    status = execution["status"]
    end = execution.get("stopDate") or now
    elapsed = max(0, int((end - execution["startDate"]).total_seconds()))

    events = stepfunctions.get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=HISTORY_PAGE_SIZE
    )["events"]
    tuning_job_name = find_tuning_job_name(events)
    fields: dict[str, object] = {}
    if tuning_job_name is not None:
        fields = _tuning_job_fields(
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job_name)
        )

    reason = ""
    if status in ENDED_STATUSES and status != "SUCCEEDED":
        reason = find_recorded_reason(events) or _execution_reason(execution)
    return Progress(
        polled_at=now,
        execution_arn=execution_arn,
        execution_name=execution["name"],
        execution_status=status,
        elapsed_seconds=elapsed,
        tuning_job_name=tuning_job_name,
        reason=reason,
        **fields,  # type: ignore[arg-type]
    )


def find_tuning_job_name(events: list[dict]) -> str | None:
    """Return the tuning job name of the newest create attempt in the history, newest event first."""
    for event in events:
        if event.get("type") != "TaskScheduled":
            continue
        details = event.get("taskScheduledEventDetails", {})
        if details.get("resourceType") != TUNING_TASK_RESOURCE_TYPE:
            continue
        if not str(details.get("resource", "")).startswith(TUNING_TASK_RESOURCE_PREFIX):
            continue
        parameters = json.loads(details.get("parameters") or "{}")
        name = parameters.get("HyperParameterTuningJobName")
        if name:
            return str(name)
    return None


def find_recorded_reason(events: list[dict]) -> str:
    """Return the outcome and reason that the recorder Lambda returned, or "" when it has not run."""
    for event in events:
        if event.get("type") == "LambdaFunctionSucceeded":
            details = event.get("lambdaFunctionSucceededEventDetails", {})
        elif event.get("type") == "TaskSucceeded":
            details = event.get("taskSucceededEventDetails", {})
        else:
            continue
        try:
            output = json.loads(details.get("output") or "null")
        except json.JSONDecodeError:
            continue
        # A `lambda:invoke` task wraps the function's result in Payload; a direct invocation does not.
        if isinstance(output, dict) and isinstance(output.get("Payload"), dict):
            output = output["Payload"]
        if isinstance(output, dict) and "outcome" in output and output.get("reason"):
            return f"the run was recorded as {output['outcome']}: {output['reason']}"
    return ""


def format_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _tuning_job_fields(description: dict) -> dict[str, object]:
    counters = description.get("TrainingJobStatusCounters", {})
    limits = description.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
    best = description.get("BestTrainingJob") or {}
    metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return {
        "tuning_job_status": description["HyperParameterTuningJobStatus"],
        "max_training_jobs": limits.get("MaxNumberOfTrainingJobs"),
        "completed": int(counters.get("Completed", 0)),
        "running": int(counters.get("InProgress", 0)),
        "failed": int(counters.get("RetryableError", 0)) + int(counters.get("NonRetryableError", 0)),
        "stopped": int(counters.get("Stopped", 0)),
        "best_objective_value": float(metric["Value"]) if "Value" in metric else None,
        "best_training_job_name": best.get("TrainingJobName") if "Value" in metric else None,
    }


def _execution_reason(execution: dict) -> str:
    error = execution.get("error")
    cause = execution.get("cause")
    if error or cause:
        return ": ".join(part for part in (error, cause) if part)
    return f"the execution ended with status {execution['status']}"
