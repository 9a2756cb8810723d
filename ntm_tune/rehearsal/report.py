"""The text that `ntm-tune rehearse` prints about one run."""

from __future__ import annotations

from ntm_tune.rehearsal.harness import RunResult
from ntm_tune.rehearsal.sagemaker import CapturedRequest
from ntm_tune.rehearsal.scenario import Scenario


def emulation_banner(scenario: Scenario, *, ended: bool) -> str:
    if ended:
        return (
            "REHEARSAL ENDED: AWS was emulated in this process with moto; nothing was sent to AWS. "
            f"SageMaker's results were simulated from scenario {scenario.name!r}; no tuning job ran."
        )
    return (
        "REHEARSAL: AWS is emulated in this process with moto; nothing is sent to AWS. "
        f"SageMaker's results are simulated from scenario {scenario.name!r}; no tuning job runs."
    )


def format_states(result: RunResult) -> list[str]:
    """List the states taken, numbered, with each create call's response and each skipped wait."""
    requests = iter(result.create_requests)
    waits = iter(delay for delay in result.skipped_delays if delay.kind == "Wait")
    lines = [
        f"States taken: execution {result.status}, {result.state_transitions} state transitions, "
        f"{result.lambda_invocations} Lambda invocations"
    ]
    for number, state in enumerate(result.states, start=1):
        detail = ""
        if state == "Run tuning job":
            request = next(requests, None)
            if request is not None:
                detail = f"create {request.tuning_job_name}: {request.response}"
        elif state == "Wait before new attempt":
            delay = next(waits, None)
            if delay is not None:
                detail = f"{delay.seconds:g} s, skipped by the rehearsal"
        lines.append(f"  {number:>2}. {state:<28} {detail}".rstrip())
    retries = [delay for delay in result.skipped_delays if delay.kind == "Retry"]
    if retries:
        seconds = ", ".join(f"{delay.seconds:g} s" for delay in retries)
        lines.append(f"  Task retries: {len(retries)}, after {seconds} (skipped by the rehearsal)")
    return lines


def format_request(request: CapturedRequest) -> list[str]:
    """Summarize a CreateHyperParameterTuningJob request: name, strategy, limits, ranges, channels."""
    params = request.params
    config = params["HyperParameterTuningJobConfig"]
    training = params["TrainingJobDefinition"]
    objective = config.get("HyperParameterTuningJobObjective", {})
    limits = config.get("ResourceLimits", {})
    resources = training.get("ResourceConfig", {})
    validity = "valid" if not request.problems else f"{len(request.problems)} problems"

    lines = [
        f"SageMaker request: CreateHyperParameterTuningJob, call {request.call_number} "
        f"({validity} against botocore's model of the SageMaker API)",
        f"  name:            {request.tuning_job_name}",
        f"  strategy:        {config['Strategy']}, {objective.get('Type', '?')} {objective.get('MetricName', '?')}, "
        f"early stopping {config.get('TrainingJobEarlyStoppingType', 'Off')}",
        f"  limits:          {limits.get('MaxNumberOfTrainingJobs', 'inferred')} training jobs, "
        f"{limits.get('MaxParallelTrainingJobs')} in parallel",
        f"  training jobs:   {resources.get('InstanceCount')} x {resources.get('InstanceType')}, "
        f"{resources.get('VolumeSizeInGB')} GB, at most "
        f"{training.get('StoppingCondition', {}).get('MaxRuntimeInSeconds')} s each",
        "  ranges:",
    ]
    ranges = config.get("ParameterRanges", {})
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges"):
        for item in ranges.get(kind, []):
            lines.append(
                f"    {item['Name']:<26} {item['MinValue']} to {item['MaxValue']} ({item.get('ScalingType', 'Auto')})"
            )
    for item in ranges.get("CategoricalParameterRanges", []):
        lines.append(f"    {item['Name']:<26} one of {', '.join(item['Values'])}")
    static = training.get("StaticHyperParameters", {})
    lines.append("  static hyperparameters: " + ", ".join(f"{key}={value}" for key, value in static.items()))
    lines.append("  channels:")
    for channel in training.get("InputDataConfig", []):
        source = channel["DataSource"]["S3DataSource"]
        lines.append(
            f"    {channel['ChannelName']:<12} {source['S3Uri']} "
            f"({channel.get('ContentType', '?')}, {source.get('S3DataDistributionType', '?')})"
        )
    for problem in request.problems:
        lines.append(f"  problem: {problem}")
    return lines


def format_records(result: RunResult, *, table: str) -> list[str]:
    lines = ["Recorded:"]
    if not result.records:
        lines.append(f"  DynamoDB {table}: no item")
    for record in result.records:
        lines.append(f"  DynamoDB {table} item (dataset={record['dataset']}, runKey={record['runKey']}):")
        for key in sorted(set(record) - {"dataset", "runKey"}):
            lines.append(f"    {key:<28} {_short(record[key])}")
    for record in result.records:
        if record.get("summaryS3Uri"):
            lines.append(f"  S3 run summary: {record['summaryS3Uri']}")
    if not result.notifications:
        lines.append("  SNS notifications: none")
    for notification in result.notifications:
        lines.append(f"  SNS notification: {notification.subject}: {notification.message}")
    if not result.events:
        lines.append("  EventBridge events: none")
    for event in result.events:
        detail = event.get("detail", {})
        lines.append(
            f"  EventBridge event on the default bus: {event.get('detail-type')} (source {event.get('source')}), "
            f"run {detail.get('runId')}, best job {detail.get('bestTrainingJobName')}"
        )
    return lines


def _short(value: object, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
