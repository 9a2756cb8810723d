"""Run the synthesized state machine once in moto, with real handlers and scripted SageMaker.

    with Rehearsal(workflow, load_scenario("completed")) as rehearsal:
        rehearsal.upload_dataset(folder, dataset="corpus", version="v1")
        result = rehearsal.run({"dataset": "corpus", "version": "v1"})

Inside the `with` block moto emulates S3, DynamoDB, SNS and Step Functions in
this process. No request leaves it: `wire` responds to any request that moto
does not emulate. The rehearsal creates every bucket, table and topic that the
template declares, under the sample names that the resolved definition and the
functions' environment use, then runs one execution. A run ends with a
`RunResult`. It raises `RehearsalTimeout` when the execution does not end in
time, and `RehearsalError` when a request was unscripted, invalid or not
emulated.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from unittest import mock

import boto3
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws
from moto.sns.models import sns_backends

from ntm_spec.dataset import MANIFEST_NAME
from ntm_spec.results import RUN_SUMMARY_PREFIX
from ntm_tune.rehearsal import REPO_ROOT
from ntm_tune.rehearsal.functions import Invocation, LambdaRuntime
from ntm_tune.rehearsal.moto_patches import SkippedDelay, patched_interpreter
from ntm_tune.rehearsal.sagemaker import CapturedRequest, ScriptedSageMaker
from ntm_tune.rehearsal.scenario import Scenario
from ntm_tune.rehearsal.template import ACCOUNT, REGION
from ntm_tune.rehearsal.trigger import event_matches, object_created_event, rule_input
from ntm_tune.rehearsal.workflow import Workflow

LAMBDA_CODE_DIR = REPO_ROOT / "lambda"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
# Fake credentials and a fixed Region, so that no client can find real ones.
OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
DEFAULT_TIME_LIMIT_SECONDS = 30.0
_POLL_SECONDS = 0.02
_STOP_GRACE_SECONDS = 2.0
# The queue and rule that receive the stack's events in the emulated account.
_EVENTS_QUEUE = "rehearsal-run-events"


class RehearsalError(AssertionError):
    """The run cannot be trusted: a request was unscripted, invalid or not emulated, or the run did not end."""

    def __init__(self, message: str, result: RunResult | None = None):
        super().__init__(message)
        self.result = result


class RehearsalTimeout(RehearsalError):
    """The execution did not end within the time limit, so the harness stopped it."""


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    subject: str | None
    message: str

    @property
    def message_json(self) -> dict:
        return json.loads(self.message)


@dataclass
class RunResult:
    """One execution's end, path and effects, read back from the emulated services."""

    execution_arn: str
    status: str
    error: str | None
    cause: str | None
    output: dict | None
    history: list[dict]
    create_requests: list[CapturedRequest]
    # The caller of each DescribeHyperParameterTuningJob request, in order: "Step Functions" or "Lambda".
    describe_callers: list[str]
    invocations: list[Invocation]
    records: list[dict]
    summaries: dict[str, dict]
    notifications: list[Notification]
    skipped_delays: list[SkippedDelay]
    notes: list[str] = field(default_factory=list)
    # Events the recorder put on the default bus, as a rule with an SQS target received them.
    events: list[dict] = field(default_factory=list)

    @property
    def states(self) -> list[str]:
        """Names of the states entered, in order. A state entered twice appears twice."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if event["type"].endswith("StateEntered")
        ]

    @property
    def state_transitions(self) -> int:
        """State transitions as Step Functions bills a Standard workflow: each state entered, plus each retry.

        Source: https://aws.amazon.com/step-functions/pricing/ ("each retry will be
        charged as an additional state transition").
        """
        return len(self.states) + self.retries

    @property
    def retries(self) -> int:
        """Task attempts beyond the first, from the history: schedules that follow a failure in the same state."""
        retries = 0
        scheduled_in_state = 0
        for event in self.history:
            if event["type"].endswith("StateEntered"):
                scheduled_in_state = 0
            elif event["type"] in ("TaskScheduled", "LambdaFunctionScheduled"):
                scheduled_in_state += 1
                retries += scheduled_in_state > 1
        return retries

    @property
    def lambda_invocations(self) -> int:
        return sum(
            event["type"] == "LambdaFunctionScheduled"
            or (event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "lambda")
            for event in self.history
        )


class Rehearsal:
    """One emulated AWS account with the stack's resources and state machine (see the module docstring)."""

    def __init__(
        self,
        workflow: Workflow,
        scenario: Scenario,
        *,
        code_dir: Path = LAMBDA_CODE_DIR,
        time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
    ):
        self.workflow = workflow
        self.scenario = scenario
        self.time_limit_seconds = time_limit_seconds
        self.sagemaker = ScriptedSageMaker(scenario, max_wait_seconds=time_limit_seconds + _STOP_GRACE_SECONDS)
        self.runtime = LambdaRuntime(workflow.functions, code_dir)
        self.skipped_delays: list[SkippedDelay] = []
        self._exit_stack = ExitStack()
        self._state_machine_arn = ""
        self._execution_arns: list[str] = []

    def __enter__(self) -> Rehearsal:
        try:
            self._start()
        except BaseException:
            self._exit_stack.close()
            raise
        return self

    def _start(self) -> None:
        from ntm_tune.rehearsal.wire import WireHook

        stack = self._exit_stack
        stack.enter_context(mock.patch.dict(os.environ, OFFLINE_ENVIRONMENT))
        # patch.dict restores these on exit too.
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        stack.enter_context(mock_aws(config=MOTO_CONFIG))
        stack.enter_context(patched_interpreter(self.sagemaker, self.skipped_delays))
        hook = WireHook(
            runtime=self.runtime,
            sagemaker=self.sagemaker,
            faults=self.scenario.faults,
            problems=self.sagemaker.problems,
            tables={
                "run_history": self.workflow.run_history_table,
                "run_locks": self.workflow.environment_value("LOCKS_TABLE"),
            },
        )
        hook.install()
        stack.callback(hook.uninstall)
        # Registered last, so it runs first on exit. No execution thread may outlive the mock,
        # because its calls would then leave the process.
        stack.callback(self._stop_running_executions)

        self.s3 = boto3.client("s3")
        self.dynamodb = boto3.client("dynamodb")
        self.sns = boto3.client("sns")
        self.events = boto3.client("events")
        self.sqs = boto3.client("sqs")
        self.stepfunctions = boto3.client("stepfunctions")
        self._create_resources()
        self._capture_run_events()

    def __exit__(self, *exc_info) -> None:
        self._exit_stack.close()

    def _stop_running_executions(self) -> None:
        for execution_arn in self._execution_arns:
            status = self.stepfunctions.describe_execution(executionArn=execution_arn)["status"]
            if status == "RUNNING":
                self.stepfunctions.stop_execution(executionArn=execution_arn, error="Rehearsal.Ended")
                if not self._wait_until_ended(execution_arn, _STOP_GRACE_SECONDS):
                    raise RehearsalError(
                        f"execution {execution_arn} did not stop within {_STOP_GRACE_SECONDS:g} s of StopExecution, "
                        "so the rehearsal cannot end safely"
                    )

    def _create_resources(self) -> None:
        for bucket in self.workflow.bucket_names:
            self.s3.create_bucket(Bucket=bucket)
        for table in self.workflow.tables:
            self.dynamodb.create_table(
                TableName=table.name,
                KeySchema=table.key_schema,
                AttributeDefinitions=table.attribute_definitions,
                BillingMode="PAY_PER_REQUEST",
            )
        for topic, expected_arn in self.workflow.topic_arns.items():
            created_arn = self.sns.create_topic(Name=topic)["TopicArn"]
            if created_arn != expected_arn:
                raise RehearsalError(
                    f"moto created topic {created_arn}, but the definition publishes to {expected_arn}; "
                    f"unset MOTO_ACCOUNT_ID so that moto uses account {ACCOUNT}"
                )
        machine = self.stepfunctions.create_state_machine(
            name=self.workflow.state_machine_name,
            definition=json.dumps(self.workflow.definition),
            roleArn=self.workflow.role_arn,
        )
        self._state_machine_arn = machine["stateMachineArn"]

    # Data and triggers.

    def upload_dataset(self, folder: Path, *, dataset: str, version: str) -> str:
        """Upload a dataset folder to the datasets bucket, manifest last, and return the manifest's key."""
        prefix = f"datasets/{dataset}/{version}/"
        files = sorted(path for path in folder.rglob("*") if path.is_file())
        manifest = folder / MANIFEST_NAME
        for path in [*(path for path in files if path != manifest), manifest]:
            if path.is_file():
                key = prefix + path.relative_to(folder).as_posix()
                self.s3.upload_file(str(path), self.workflow.datasets_bucket, key)
        return prefix + MANIFEST_NAME

    def run(self, execution_input: dict, *, name: str | None = None) -> RunResult:
        """Start an execution with `execution_input`, as a manual or scheduled start does, and wait for its end."""
        return self.wait(self.start(execution_input, name=name))

    def run_object_created(self, key: str, *, name: str | None = None) -> RunResult:
        """Start an execution as the S3 trigger does, for an object already in the datasets bucket."""
        bucket = self.workflow.datasets_bucket
        head = self.s3.head_object(Bucket=bucket, Key=key)
        event = object_created_event(
            bucket=bucket,
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            version_id=head.get("VersionId"),
            account=ACCOUNT,
            region=REGION,
        )
        notes = []
        execution_input = event
        if not self.workflow.trigger_rules:
            notes.append(
                "the template has no EventBridge rule that targets the state machine, so the event was "
                "passed whole, as a rule target without input settings passes it"
            )
        for rule in self.workflow.trigger_rules:
            if not event_matches(rule.event_pattern, event):
                raise RehearsalError(
                    f"the Object Created event for {key} does not match rule {rule.logical_id}'s pattern"
                )
            execution_input = rule_input(rule, event)
        result = self.wait(self.start(execution_input, name=name))
        result.notes.extend(notes)
        return result

    def start(self, execution_input: dict, *, name: str | None = None) -> str:
        # An unnamed execution gets an ARN ending in ":None" in moto 5.2.
        execution = self.stepfunctions.start_execution(
            stateMachineArn=self._state_machine_arn,
            name=name or f"rehearsal-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input),
        )
        self._execution_arns.append(execution["executionArn"])
        return execution["executionArn"]

    # Results.

    def wait(self, execution_arn: str) -> RunResult:
        """Wait, at most the time limit, for the execution to end, and return what it did."""
        if not self._wait_until_ended(execution_arn, self.time_limit_seconds):
            self.stepfunctions.stop_execution(executionArn=execution_arn, error="Rehearsal.TimedOut")
            # The interpreter notices the stop at its next check, so give it a moment to end the execution.
            self._wait_until_ended(execution_arn, _STOP_GRACE_SECONDS)
            result = self._result(execution_arn)
            last_state = result.states[-1] if result.states else "(none)"
            raise RehearsalTimeout(
                f"the execution did not end within {self.time_limit_seconds:g} s and was stopped; "
                f"last state entered: {last_state!r}; scenario {self.scenario.name!r}",
                result,
            )

        result = self._result(execution_arn)
        problems = list(dict.fromkeys(self.sagemaker.problems))
        if problems:
            raise RehearsalError(
                f"the run with scenario {self.scenario.name!r} ended {result.status}, but:\n- " + "\n- ".join(problems),
                result,
            )
        return result

    def _wait_until_ended(self, execution_arn: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.stepfunctions.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                return False
            time.sleep(_POLL_SECONDS)
        return True

    def _result(self, execution_arn: str) -> RunResult:
        description = self.stepfunctions.describe_execution(executionArn=execution_arn)
        history = []
        for page in self.stepfunctions.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            history.extend(page["events"])
        return RunResult(
            execution_arn=execution_arn,
            status=description["status"],
            error=description.get("error"),
            cause=description.get("cause"),
            output=json.loads(description["output"]) if description.get("output") else None,
            history=history,
            create_requests=list(self.sagemaker.create_requests),
            describe_callers=list(self.sagemaker.describe_callers),
            invocations=list(self.runtime.invocations),
            records=self.records(),
            summaries=self.summaries(),
            notifications=self.notifications(),
            skipped_delays=list(self.skipped_delays),
            events=self.run_events(),
        )

    def _capture_run_events(self) -> None:
        """Send the stack's events on the default bus to a queue, as a downstream consumer's rule would."""
        self._events_queue_url = self.sqs.create_queue(QueueName=_EVENTS_QUEUE)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self._events_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.events.put_rule(Name=_EVENTS_QUEUE, EventPattern=json.dumps({"source": [{"prefix": "ntm-tuning."}]}))
        self.events.put_targets(Rule=_EVENTS_QUEUE, Targets=[{"Id": "queue", "Arn": queue_arn}])

    def run_events(self) -> list[dict]:
        """Return every event received so far. They stay in the queue, so a later call returns them again."""
        messages = self.sqs.receive_message(
            QueueUrl=self._events_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def records(self) -> list[dict]:
        """Return every item of the run history table, as plain Python values."""
        deserializer = TypeDeserializer()
        items = self.dynamodb.scan(TableName=self.workflow.run_history_table)["Items"]
        return [_plain({key: deserializer.deserialize(value) for key, value in item.items()}) for item in items]

    def summaries(self) -> dict[str, dict]:
        """Return every run summary in the artifacts bucket, by key."""
        bucket = self.workflow.artifacts_bucket
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=RUN_SUMMARY_PREFIX)
        return {
            item["Key"]: json.loads(self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            for item in listing.get("Contents", [])
        }

    def notifications(self) -> list[Notification]:
        """Return every message published to the template's topics, read from moto's SNS backend."""
        # moto 5.2.5 keeps every message published to a topic on the topic object.
        backend = sns_backends[ACCOUNT][REGION]
        notifications = []
        for topic_arn, topic in backend.topics.items():
            for _message_id, message, subject, _attributes, _group_id in topic.sent_notifications:
                notifications.append(Notification(topic_arn, subject, message))
        return notifications


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(item) for item in value]
    return value
