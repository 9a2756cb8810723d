"""Scenario files: SageMaker's responses during one rehearsal, and the calls that fail.

A scenario is a small TOML file under `scenarios/`:

- `summary`: one line that describes the run.
- `[[create]]`: one response per CreateHyperParameterTuningJob call, in call
  order. A response is either `accept = true` or a Step Functions `error` with
  its `cause`, as the `.sync` task reports a create call that SageMaker
  rejected. A call beyond the list has no response and fails the rehearsal.
- `[end]`: how every accepted tuning job ends, written with the fields of the
  DescribeHyperParameterTuningJob response (`HyperParameterTuningJobStatus`,
  `TrainingJobStatusCounters`, `BestTrainingJob` ...). `{tuning_job_name}` in a
  string is replaced by the job's name. Without `[end]` an accepted job has no
  scripted end, which fails the rehearsal.
- `[training_jobs]`: how long each training job of an ended tuning job ran.
  `training_seconds` (default 600) is TrainingTimeInSeconds and
  `billable_seconds` (default: the same) is BillableTimeInSeconds, per
  instance; set it lower to script managed spot savings. The number of
  training jobs and their statuses come from `[end]`'s
  `TrainingJobStatusCounters`; instances and spot come from the request.
- `[[faults]]`: errors for calls that the Lambda handlers make to other AWS
  services, by call number. Only JSON-protocol services are supported
  (DynamoDB, SageMaker). A DynamoDB fault may name its `table`, `run_history`
  or `run_locks`; its calls are then counted on that table alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ntm_tune.rehearsal import SCENARIOS_DIR
from ntm_tune.rehearsal.api_model import output_shape

TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")
NAME_PLACEHOLDER = "{tuning_job_name}"
# JSON-protocol services, whose error responses the rehearsal can write.
FAULT_SERVICES = ("dynamodb", "sagemaker")


class ScenarioError(ValueError):
    """A scenario file is invalid. The message names the file and the key."""


@dataclass(frozen=True)
class CreateResponse:
    """Scripted response to one CreateHyperParameterTuningJob call: accepted, or a Step Functions error."""

    accept: bool
    error: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Fault:
    """An error response for some calls of one operation, made by the Lambda handlers."""

    service: str
    operation: str
    error_code: str
    message: str
    http_status: int
    calls: tuple[int, ...]
    # For DynamoDB: "run_history" or "run_locks" counts only calls on that table.
    table: str | None = None


@dataclass(frozen=True)
class TrainingJobTimes:
    """Seconds per instance that every started training job reports; None billable means the training time."""

    training_seconds: int = 600
    billable_seconds: int | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    create: tuple[CreateResponse, ...]
    end: dict[str, object] | None
    faults: tuple[Fault, ...] = field(default_factory=tuple)
    # The error that the `.sync` task raises when the job ends Failed or Stopped.
    task_error: str = "States.TaskFailed"
    training_jobs: TrainingJobTimes = field(default_factory=TrainingJobTimes)

    @property
    def end_status(self) -> str | None:
        return None if self.end is None else str(self.end["HyperParameterTuningJobStatus"])


def scenario_names() -> list[str]:
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = SCENARIOS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ScenarioError(
            f"scenario {str(name_or_path)!r} not found. Bundled scenarios: {', '.join(scenario_names())}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path} is not valid TOML ({error}). Fix the syntax at that line") from None
    return parse_scenario(data, name=path.stem, source=str(path))


def parse_scenario(data: Mapping[str, object], *, name: str, source: str = "") -> Scenario:
    """Check a scenario's tables and return the scenario, or raise ScenarioError naming the key."""
    where = source or name
    _reject_unknown(data, {"summary", "create", "end", "faults", "task_error", "training_jobs"}, where, "")
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary:
        raise ScenarioError(f"{where}: summary is missing. Write one line that describes the run")

    create = data.get("create")
    if not isinstance(create, list) or not create:
        raise ScenarioError(f"{where}: create is missing. Script at least one [[create]] response")
    responses = tuple(_create_response(item, where, index) for index, item in enumerate(create, start=1))

    end = data.get("end")
    if end is not None:
        end = _end(end, where)
    faults = tuple(_fault(item, where, index) for index, item in enumerate(data.get("faults", []), start=1))
    task_error = data.get("task_error", "States.TaskFailed")
    if not isinstance(task_error, str) or not task_error:
        raise ScenarioError(f"{where}: task_error {task_error!r} is invalid. Write a Step Functions error name")
    training_jobs = _training_job_times(data.get("training_jobs", {}), where)
    return Scenario(name, summary, responses, end, faults, task_error, training_jobs)


def _create_response(item: object, where: str, index: int) -> CreateResponse:
    key = f"create[{index}]"
    if not isinstance(item, Mapping):
        raise ScenarioError(f"{where}: {key} is invalid. Write it as a table")
    _reject_unknown(item, {"accept", "error", "cause"}, where, key)
    if item.get("accept") is True and "error" not in item:
        return CreateResponse(accept=True)
    error, cause = item.get("error"), item.get("cause", "")
    if item.get("accept") is True or not isinstance(error, str) or not isinstance(cause, str):
        raise ScenarioError(f"{where}: {key} is invalid. Write either accept = true, or an error with its cause")
    return CreateResponse(accept=False, error=error, cause=cause)


def _end(end: object, where: str) -> dict[str, object]:
    if not isinstance(end, Mapping):
        raise ScenarioError(f"{where}: end is invalid. Write it as a table")
    members = set(output_shape("DescribeHyperParameterTuningJob").members)
    _reject_unknown(end, members, where, "end")
    statuses = output_shape("DescribeHyperParameterTuningJob").members["HyperParameterTuningJobStatus"].enum
    status = end.get("HyperParameterTuningJobStatus")
    if status not in statuses:
        raise ScenarioError(
            f"{where}: end.HyperParameterTuningJobStatus {status!r} is invalid. Use one of {', '.join(statuses)}"
        )
    best = end.get("BestTrainingJob")
    if best is not None:
        best_members = set(output_shape("DescribeHyperParameterTuningJob").members["BestTrainingJob"].members)
        if not isinstance(best, Mapping):
            raise ScenarioError(f"{where}: end.BestTrainingJob is invalid. Write it as a table")
        _reject_unknown(best, best_members, where, "end.BestTrainingJob")
    return dict(end)


def _training_job_times(table: object, where: str) -> TrainingJobTimes:
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: training_jobs is invalid. Write it as a table")
    _reject_unknown(table, {"training_seconds", "billable_seconds"}, where, "training_jobs")
    seconds = {}
    for key in ("training_seconds", "billable_seconds"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ScenarioError(f"{where}: training_jobs.{key} {value!r} is invalid. Write whole seconds, 0 or more")
        seconds[key] = value
    times = TrainingJobTimes(**seconds)
    if times.billable_seconds is not None and times.billable_seconds > times.training_seconds:
        raise ScenarioError(
            f"{where}: training_jobs.billable_seconds {times.billable_seconds} is invalid: it exceeds "
            f"training_seconds {times.training_seconds}. SageMaker never bills more than the training time"
        )
    return times


FAULT_TABLES = ("run_history", "run_locks")


def _fault(item: object, where: str, index: int) -> Fault:
    key = f"faults[{index}]"
    if not isinstance(item, Mapping):
        raise ScenarioError(f"{where}: {key} is invalid. Write it as a table")
    _reject_unknown(
        item, {"service", "operation", "error_code", "message", "http_status", "calls", "table"}, where, key
    )
    table = item.get("table")
    if table is not None and (item.get("service") != "dynamodb" or table not in FAULT_TABLES):
        raise ScenarioError(
            f"{where}: {key}.table {table!r} is invalid. A DynamoDB fault names one of {', '.join(FAULT_TABLES)}"
        )
    service = item.get("service")
    if service not in FAULT_SERVICES:
        raise ScenarioError(f"{where}: {key}.service {service!r} is invalid. Use one of {', '.join(FAULT_SERVICES)}")
    calls = item.get("calls", [1])
    if not isinstance(calls, list) or not all(isinstance(call, int) and call >= 1 for call in calls):
        raise ScenarioError(
            f"{where}: {key}.calls {calls!r} is invalid. Write call numbers counted from 1, such as [1]"
        )
    for name in ("operation", "error_code", "message"):
        if not isinstance(item.get(name), str) or not item.get(name):
            raise ScenarioError(f"{where}: {key}.{name} is missing")
    return Fault(
        service=str(service),
        operation=str(item["operation"]),
        error_code=str(item["error_code"]),
        message=str(item["message"]),
        http_status=int(item.get("http_status", 400)),  # type: ignore[call-overload]
        calls=tuple(calls),
        table=table,
    )


def _reject_unknown(table: Mapping[str, object], allowed: set[str], where: str, key: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        prefix = f"{key}." if key else ""
        raise ScenarioError(f"{where}: {prefix}{unknown[0]} is an unknown key. Allowed: {', '.join(sorted(allowed))}")
