"""A scripted SageMaker, which records every request and responds from a scenario.

Two callers reach it. The state machine's `createHyperParameterTuningJob.sync`
task creates a tuning job and waits for its end, and the recorder Lambda calls
DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob and
DescribeTrainingJob. The training jobs are derived from the scenario's end: one
per unit of its `TrainingJobStatusCounters`, the best training job among the
completed ones, with the scenario's `[training_jobs]` times and the request's
instances and spot setting. Every CreateHyperParameterTuningJob request is
checked against botocore's model of the API. Where a scenario cannot change it,
the scripted SageMaker behaves as the service does. A job name is unique per
account, case-insensitive, and a job that was never created is not found.
Every call that the scenario does not script, and every invalid request, adds
an entry to `problems`, which the harness turns into an error after the run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ntm_tune.rehearsal.api_model import request_problems, response_problems
from ntm_tune.rehearsal.scenario import NAME_PLACEHOLDER, TERMINAL_STATUSES, Scenario, TrainingJobTimes
from ntm_tune.rehearsal.template import ACCOUNT, REGION

CREATE_OPERATION = "CreateHyperParameterTuningJob"
DESCRIBE_OPERATION = "DescribeHyperParameterTuningJob"
LIST_TRAINING_JOBS_OPERATION = "ListTrainingJobsForHyperParameterTuningJob"
DESCRIBE_TRAINING_JOB_OPERATION = "DescribeTrainingJob"
# The SageMaker operations that the Lambda handlers may call in a rehearsal.
LAMBDA_OPERATIONS = (DESCRIBE_OPERATION, LIST_TRAINING_JOBS_OPERATION, DESCRIBE_TRAINING_JOB_OPERATION)
# The final TrainingJobStatus of a training job, by the TrainingJobStatusCounters key that counts it.
_COUNTER_STATUSES = {
    "Completed": "Completed",
    "RetryableError": "Failed",
    "NonRetryableError": "Failed",
    "Stopped": "Stopped",
    "InProgress": "InProgress",
}
# ListTrainingJobsForHyperParameterTuningJob's page size when the request sets no MaxResults.
_DEFAULT_PAGE_SIZE = 10
# Error name of a call that the scenario scripts no response for. No workflow state retries it.
UNSCRIPTED_ERROR = "Rehearsal.NoScriptedResponse"
# Step Functions reports SageMaker's ValidationException under this name.
VALIDATION_ERROR = "SageMaker.AmazonSageMakerException"
NAME_IN_USE_ERROR = "SageMaker.ResourceInUseException"
# How often a `.sync` task whose job never ends checks whether the execution stopped.
_NEVER_ENDING_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CapturedRequest:
    """One CreateHyperParameterTuningJob request, as the state machine sent it."""

    call_number: int
    params: dict
    problems: tuple[str, ...]
    response: str  # "accepted" or the Step Functions error name

    @property
    def tuning_job_name(self) -> str:
        return str(self.params.get("HyperParameterTuningJobName", ""))


@dataclass(frozen=True)
class TaskFailure:
    """The `.sync` task fails with this Step Functions error."""

    error: str
    cause: str


@dataclass(frozen=True)
class ApiError:
    """An error response of the SageMaker API: its error code and message."""

    code: str
    message: str


@dataclass
class _TuningJob:
    name: str
    arn: str
    request: dict
    created_at: datetime
    ended_at: datetime | None = None


@dataclass
class ScriptedSageMaker:
    scenario: Scenario
    # The longest that a `.sync` task waits for a job that never ends; the harness stops it sooner.
    max_wait_seconds: float = 600.0
    create_requests: list[CapturedRequest] = field(default_factory=list)
    describe_callers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _jobs: dict[str, _TuningJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # The state machine's tuning task.

    def job_arn(self, name: str) -> str:
        return self._jobs[name.lower()].arn

    def create_tuning_job(self, params: dict) -> TaskFailure | None:
        """Record a create call; return None when the job was created, else the task's error."""
        with self._lock:
            call_number = len(self.create_requests) + 1
            params = copy.deepcopy(params)
            name = str(params.get("HyperParameterTuningJobName", ""))
            problems = tuple(request_problems(CREATE_OPERATION, params))
            failure = self._respond_to_create(call_number, name, params, problems)
            response = "accepted" if failure is None else failure.error
            self.create_requests.append(CapturedRequest(call_number, params, problems, response))
            return failure

    def _respond_to_create(
        self, call_number: int, name: str, params: dict, problems: tuple[str, ...]
    ) -> TaskFailure | None:
        if problems:
            self.problems.append(
                f"{CREATE_OPERATION} call {call_number} ({name}) is invalid:\n  " + "\n  ".join(problems)
            )
            return TaskFailure(
                VALIDATION_ERROR,
                f"{len(problems)} validation errors detected: {'; '.join(problems)} "
                "(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException)",
            )
        if call_number > len(self.scenario.create):
            self.problems.append(
                f"{CREATE_OPERATION} call {call_number} ({name}) has no scripted response in scenario "
                f"{self.scenario.name!r}, which scripts {len(self.scenario.create)} [[create]] responses"
            )
            return TaskFailure(UNSCRIPTED_ERROR, f"scenario {self.scenario.name!r} scripts no response")
        scripted = self.scenario.create[call_number - 1]
        if not scripted.accept:
            return TaskFailure(scripted.error, scripted.cause)
        if name.lower() in self._jobs:
            return TaskFailure(
                NAME_IN_USE_ERROR,
                f"Resource Already Exists: Hyperparameter tuning job name {name} already exists "
                "(Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceInUse)",
            )
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{name.lower()}"
        self._jobs[name.lower()] = _TuningJob(name, arn, params, datetime.now(UTC))
        return None

    def wait_for_end(self, name: str, is_running) -> dict | TaskFailure | None:
        """Return the final description, the task's error, or None once the execution stops.

        A scenario whose job never reaches a terminal status keeps the task
        waiting, as `.sync` does, until the harness stops the execution or
        `max_wait_seconds` pass.
        """
        if self.scenario.end is None:
            with self._lock:
                self.problems.append(
                    f"tuning job {name} was created, but scenario {self.scenario.name!r} scripts no [end] for it"
                )
            return TaskFailure(UNSCRIPTED_ERROR, f"scenario {self.scenario.name!r} scripts no end")
        if self.scenario.end_status not in TERMINAL_STATUSES:
            deadline = time.monotonic() + self.max_wait_seconds
            while is_running() and time.monotonic() < deadline:
                time.sleep(_NEVER_ENDING_POLL_SECONDS)
            if is_running():
                with self._lock:
                    self.problems.append(f"tuning job {name} did not end within {self.max_wait_seconds:g} s")
                return TaskFailure(UNSCRIPTED_ERROR, f"tuning job {name} did not end")
            return None

        with self._lock:
            job = self._jobs[name.lower()]
            job.ended_at = datetime.now(UTC)
        description = self.describe(name, caller="Step Functions")
        output = _json_safe(description, time_unit=1000)
        if description["HyperParameterTuningJobStatus"] == "Completed":  # type: ignore[index]
            return output  # type: ignore[return-value]
        # NOTE: inferred from the behavior of other `.sync` SageMaker tasks, because the
        # Step Functions guide does not name the error of a tuning job that ends Failed
        # or Stopped. Scenarios can set `task_error`.
        return TaskFailure(self.scenario.task_error, json.dumps(output, sort_keys=True))

    # DescribeHyperParameterTuningJob, from the `.sync` task or the recorder Lambda.

    def describe(self, name: str, *, caller: str) -> dict | None:
        """Return the job's description, or None when SageMaker would return ResourceNotFound.

        A job is InProgress until a `.sync` task has waited for it. After that it
        has the scenario's end.
        """
        with self._lock:
            self.describe_callers.append(caller)
            job = self._jobs.get(name.lower())
            if job is None:
                return None
            ended = job.ended_at is not None and self.scenario.end is not None
            end = self.scenario.end if ended else {"HyperParameterTuningJobStatus": "InProgress"}
            description = _describe(job, end, self.problems)  # type: ignore[arg-type]
            problems = response_problems(DESCRIBE_OPERATION, description)
            if problems:
                self.problems.append(
                    f"scenario {self.scenario.name!r} scripts an invalid {DESCRIBE_OPERATION} "
                    "response:\n  " + "\n  ".join(problems)
                )
            return description

    # The SageMaker calls of the Lambda handlers.

    def respond(self, operation: str, params: dict, *, caller: str = "Lambda") -> dict | ApiError:
        """Return the response to one of LAMBDA_OPERATIONS, or the error that SageMaker would return."""
        if operation == DESCRIBE_OPERATION:
            name = str(params["HyperParameterTuningJobName"])
            description = self.describe(name, caller=caller)
            if description is None:
                return ApiError("ResourceNotFound", f"Amazon SageMaker can't find a tuning job named {name}")
            return description
        if operation == LIST_TRAINING_JOBS_OPERATION:
            return self._list_training_jobs(params)
        if operation == DESCRIBE_TRAINING_JOB_OPERATION:
            return self._describe_training_job(str(params["TrainingJobName"]))
        raise ValueError(f"{operation} is not one of {', '.join(LAMBDA_OPERATIONS)}")

    def training_jobs(self, tuning_job_name: str) -> list[dict]:
        """Return the DescribeTrainingJob responses of a tuning job's training jobs; none before it ends."""
        with self._lock:
            job = self._jobs.get(tuning_job_name.lower())
            if job is None or job.ended_at is None or self.scenario.end is None:
                return []
            # `describe` has reported any problem of the scripted end already.
            description = _describe(job, self.scenario.end, [])
            return _training_jobs(job, description, self.scenario.training_jobs)

    def _list_training_jobs(self, params: dict) -> dict | ApiError:
        name = str(params["HyperParameterTuningJobName"])
        with self._lock:
            known = name.lower() in self._jobs
        if not known:
            return ApiError("ResourceNotFound", f"Amazon SageMaker can't find a tuning job named {name}")
        jobs = self.training_jobs(name)
        start = int(params.get("NextToken") or 0)
        end = start + int(params.get("MaxResults") or _DEFAULT_PAGE_SIZE)
        response: dict = {"TrainingJobSummaries": [_summary(job) for job in jobs[start:end]]}
        if end < len(jobs):
            response["NextToken"] = str(end)
        self._check_response(LIST_TRAINING_JOBS_OPERATION, response)
        return response

    def _describe_training_job(self, name: str) -> dict | ApiError:
        with self._lock:
            tuning_jobs = [job.name for job in self._jobs.values()]
        for tuning_job_name in tuning_jobs:
            for training_job in self.training_jobs(tuning_job_name):
                if training_job["TrainingJobName"].lower() == name.lower():
                    response = {key: value for key, value in training_job.items() if not key.startswith("_")}
                    self._check_response(DESCRIBE_TRAINING_JOB_OPERATION, response)
                    return response
        # SageMaker reports an unknown training job as a ValidationException.
        return ApiError("ValidationException", "Requested resource not found.")

    def _check_response(self, operation: str, response: dict) -> None:
        problems = response_problems(operation, response)
        if problems:
            with self._lock:
                self.problems.append(
                    f"scenario {self.scenario.name!r} leads to an invalid {operation} response:\n  "
                    + "\n  ".join(problems)
                )


def _training_jobs(job: _TuningJob, description: dict, times: TrainingJobTimes) -> list[dict]:
    """Build the tuning job's training jobs, as DescribeTrainingJob responses plus `_Summary` fields."""
    definition = job.request["TrainingJobDefinition"]
    statuses = [
        _COUNTER_STATUSES[key]
        for key, count in description.get("TrainingJobStatusCounters", {}).items()
        for _ in range(int(count))
        if key in _COUNTER_STATUSES
    ]
    best = description.get("BestTrainingJob")
    ranges = job.request["HyperParameterTuningJobConfig"].get("ParameterRanges", {})
    spot = bool(definition.get("EnableManagedSpotTraining", False))
    training_seconds = times.training_seconds
    billable_seconds = times.billable_seconds if times.billable_seconds is not None else training_seconds
    ended_at = job.ended_at or job.created_at
    output_path = definition["OutputDataConfig"]["S3OutputPath"].rstrip("/")

    jobs = []
    best_placed = False
    for number, status in enumerate(statuses, start=1):
        suffix = hashlib.sha256(f"{job.name}-{number}".encode()).hexdigest()[:8]
        name = f"{job.name}-{number:03d}-{suffix}"
        tuned = _range_midpoints(ranges)
        objective = None
        if best is not None and status == "Completed" and not best_placed:
            name, tuned = best["TrainingJobName"], best["TunedHyperParameters"]
            objective = best.get("FinalHyperParameterTuningJobObjectiveMetric")
            best_placed = True
        started = status != "InProgress"
        response: dict = {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name.lower()}",
            "TuningJobArn": job.arn,
            "ModelArtifacts": {"S3ModelArtifacts": f"{output_path}/{name}/output/model.tar.gz"},
            "TrainingJobStatus": status,
            "SecondaryStatus": "Training" if status == "InProgress" else status,
            "HyperParameters": {**definition.get("StaticHyperParameters", {}), **tuned},
            "AlgorithmSpecification": {
                key: definition["AlgorithmSpecification"][key]
                for key in ("TrainingImage", "TrainingInputMode")
                if key in definition["AlgorithmSpecification"]
            },
            "RoleArn": definition["RoleArn"],
            "OutputDataConfig": definition["OutputDataConfig"],
            "ResourceConfig": definition["ResourceConfig"],
            "StoppingCondition": definition["StoppingCondition"],
            "CreationTime": job.created_at,
            "LastModifiedTime": ended_at,
            "EnableManagedSpotTraining": spot,
            "_TuningJobName": job.name,
            "_TunedHyperParameters": tuned,
            "_ObjectiveMetric": objective,
        }
        if status == "Failed":
            response["FailureReason"] = "AlgorithmError: the scenario ends this training job with an error"
        if started:
            response["TrainingStartTime"] = job.created_at
            response["TrainingEndTime"] = ended_at
            response["TrainingTimeInSeconds"] = training_seconds
            response["BillableTimeInSeconds"] = billable_seconds
        jobs.append(response)
    return jobs


def _summary(training_job: dict) -> dict:
    """Return the HyperParameterTrainingJobSummary of a training job built by `_training_jobs`."""
    summary = {
        "TrainingJobName": training_job["TrainingJobName"],
        "TrainingJobArn": training_job["TrainingJobArn"],
        "TuningJobName": training_job["_TuningJobName"],
        "CreationTime": training_job["CreationTime"],
        "TrainingJobStatus": training_job["TrainingJobStatus"],
        "TunedHyperParameters": training_job["_TunedHyperParameters"],
    }
    for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
        if key in training_job:
            summary[key] = training_job[key]
    if training_job["_ObjectiveMetric"]:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = training_job["_ObjectiveMetric"]
        summary["ObjectiveStatus"] = "Succeeded"
    return summary


def _describe(job: _TuningJob, end: dict, problems: list[str]) -> dict:
    status = str(end["HyperParameterTuningJobStatus"])
    ended_at = job.ended_at if status in TERMINAL_STATUSES else None
    last_change = ended_at or job.created_at

    description: dict = {
        "HyperParameterTuningJobName": job.name,
        "HyperParameterTuningJobArn": job.arn,
        "HyperParameterTuningJobConfig": job.request["HyperParameterTuningJobConfig"],
        "TrainingJobDefinition": job.request["TrainingJobDefinition"],
        "HyperParameterTuningJobStatus": status,
        "CreationTime": job.created_at,
        "LastModifiedTime": last_change,
        "TrainingJobStatusCounters": dict.fromkeys(
            ("Completed", "InProgress", "RetryableError", "NonRetryableError", "Stopped"), 0
        ),
        "ObjectiveStatusCounters": dict.fromkeys(("Succeeded", "Pending", "Failed"), 0),
    }
    if ended_at is not None:
        description["HyperParameterTuningEndTime"] = ended_at
    for key, value in _fill_name(copy.deepcopy(end), job.name).items():
        if isinstance(value, dict) and isinstance(description.get(key), dict):
            description[key] = {**description[key], **value}
        else:
            description[key] = value

    best = description.get("BestTrainingJob")
    if isinstance(best, dict):
        description["BestTrainingJob"] = _best_training_job(job, best, last_change, problems)
    return description


def _best_training_job(job: _TuningJob, best: dict, ended_at: datetime, problems: list[str]) -> dict:
    # SageMaker names a tuning job's training jobs TUNINGJOB-NNN-XXXXXXXX.
    suffix = hashlib.sha256(job.name.encode()).hexdigest()[:8]
    name = str(best.get("TrainingJobName") or f"{job.name}-001-{suffix}")
    ranges = job.request["HyperParameterTuningJobConfig"].get("ParameterRanges", {})
    tuned = best.get("TunedHyperParameters")
    if tuned is None:
        tuned = _range_midpoints(ranges)
    else:
        problems.extend(_tuned_value_problems(tuned, ranges, name))
    filled = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name.lower()}",
        "TuningJobName": job.name,
        "CreationTime": job.created_at,
        "TrainingStartTime": job.created_at,
        "TrainingEndTime": ended_at,
        "TrainingJobStatus": "Completed",
        "ObjectiveStatus": "Succeeded",
    }
    return {**filled, **best, "TrainingJobName": name, "TunedHyperParameters": tuned}


def _range_midpoints(ranges: dict) -> dict[str, str]:
    """Return one value inside each range: the geometric or arithmetic midpoint, or the middle value."""
    tuned = {}
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges"):
        for item in ranges.get(kind, []):
            low, high = float(item["MinValue"]), float(item["MaxValue"])
            logarithmic = item.get("ScalingType") == "Logarithmic" and low > 0
            middle = math.sqrt(low * high) if logarithmic else (low + high) / 2
            tuned[item["Name"]] = str(round(middle)) if kind.startswith("Integer") else f"{middle:.6g}"
    for item in ranges.get("CategoricalParameterRanges", []):
        tuned[item["Name"]] = item["Values"][len(item["Values"]) // 2]
    return tuned


_NUMERIC_RANGES = ("IntegerParameterRanges", "ContinuousParameterRanges")


def _tuned_value_problems(tuned: dict, ranges: dict, training_job_name: str) -> list[str]:
    expected = {item["Name"]: (kind, item) for kind, items in ranges.items() for item in items}
    problems = []
    if set(tuned) != set(expected):
        problems.append(
            f"BestTrainingJob {training_job_name}: TunedHyperParameters names {sorted(tuned)}, "
            f"but the request tunes {sorted(expected)}"
        )
    for name, value in tuned.items():
        kind, item = expected.get(name, (None, None))
        if kind == "CategoricalParameterRanges" and value not in item["Values"]:
            problems.append(f"BestTrainingJob: {name}={value!r} is not one of {item['Values']}")
        elif kind in _NUMERIC_RANGES and not float(item["MinValue"]) <= float(value) <= float(item["MaxValue"]):
            problems.append(f"BestTrainingJob: {name}={value!r} is outside {item['MinValue']}..{item['MaxValue']}")
    return problems


def _fill_name(value: object, name: str) -> object:
    if isinstance(value, str):
        return value.replace(NAME_PLACEHOLDER, name)
    if isinstance(value, dict):
        return {key: _fill_name(item, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_name(item, name) for item in value]
    return value


def _json_safe(value: object, *, time_unit: int) -> object:
    """Return `value` with datetimes as epoch numbers: milliseconds (1000) or seconds (1)."""
    if isinstance(value, datetime):
        epoch = value.timestamp() * time_unit
        return int(epoch) if time_unit == 1000 else epoch
    if isinstance(value, dict):
        return {key: _json_safe(item, time_unit=time_unit) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item, time_unit=time_unit) for item in value]
    return value


def wire_json(description: dict) -> bytes:
    """Serialize a description as SageMaker's JSON protocol does: timestamps in epoch seconds."""
    return json.dumps(_json_safe(description, time_unit=1)).encode()
