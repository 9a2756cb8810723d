"""The few places where the rehearsal changes moto's Step Functions interpreter.

moto 5.2.5 runs Task states of services it does not emulate, SageMaker among
them, only with `.waitForTaskToken`, so the tuning task's `.sync` would fail.
These patches, active only inside `patched_interpreter()`:

- give SageMaker Task states to `ScriptedSageMakerTask`, which sends the
  evaluated Parameters to the scripted SageMaker and waits for the job's end;
- make Wait states and Retry intervals return at once, recording the seconds
  they would have waited, so a run with a 30 s and a 60 s wait takes no time.

moto also has a Step Functions Local-style mocked-response engine. Its `.sync`
check runs before any mocked response is looked up, and its responses are
fixed per state. The scripted SageMaker needs the evaluated Parameters instead,
to check each request and to reject a job name that was used before.

The patches use moto internals (module paths, private methods), which change
between releases. So moto is pinned exactly, and `check_moto_version` rejects
any other version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from unittest import mock

from moto.stepfunctions.parser.api import (
    HistoryEventExecutionDataDetails,
    HistoryEventType,
    TaskFailedEventDetails,
    TaskSubmittedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from ntm_tune.rehearsal.sagemaker import UNSCRIPTED_ERROR, ScriptedSageMaker, TaskFailure

PINNED_MOTO_VERSION = "5.2.5"
RUN_JOB_RESOURCE = "createHyperParameterTuningJob.sync"
REQUEST_RESPONSE_RESOURCE = "createHyperParameterTuningJob"


class RehearsalSetupError(RuntimeError):
    """The rehearsal cannot run in this environment."""


@dataclass(frozen=True)
class SkippedDelay:
    """A wait that the interpreter skipped: a Wait state or a Retry interval, in seconds."""

    kind: str  # "Wait" or "Retry"
    state: str  # the Wait state's name; empty for a Retry interval, whose state moto does not pass on
    seconds: float


def check_moto_version() -> None:
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        raise RehearsalSetupError(
            f"the rehearsal patches moto {PINNED_MOTO_VERSION} internals, but moto {installed} "
            f"is installed; install the pinned version: pip install 'moto=={PINNED_MOTO_VERSION}'"
        )


class ScriptedSageMakerTask(StateTaskService):
    """Task state for `arn:aws:states:::sagemaker:*`, sent to the scripted SageMaker."""

    def __init__(self, sagemaker: ScriptedSageMaker):
        super().__init__()
        self._sagemaker = sagemaker

    def _validate_service_integration_is_supported(self) -> None:
        # moto calls this when it parses the definition. The resource is checked when the state runs.
        pass

    def _get_sfn_resource(self) -> str:
        condition = self.resource.condition
        return f"{self.resource.api_action}.{condition}" if condition else self.resource.api_action

    def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        resource = self._get_sfn_resource()
        if resource not in (RUN_JOB_RESOURCE, REQUEST_RESPONSE_RESOURCE):
            self._sagemaker.problems.append(
                f"the rehearsal scripts only sagemaker:{RUN_JOB_RESOURCE} and "
                f"sagemaker:{REQUEST_RESPONSE_RESOURCE}, not sagemaker:{resource}"
            )
            raise self._failure(env, TaskFailure(UNSCRIPTED_ERROR, f"sagemaker:{resource} is not scripted"))

        failure = self._sagemaker.create_tuning_job(normalised_parameters)
        if failure is not None:
            raise self._failure(env, failure)
        name = str(normalised_parameters["HyperParameterTuningJobName"])
        if resource == REQUEST_RESPONSE_RESOURCE:
            # Without `.sync` the task ends with the create response, while the job runs on.
            env.stack.append({"HyperParameterTuningJobArn": self._sagemaker.job_arn(name)})
            return

        self._add_submitted_event(env)
        outcome = self._sagemaker.wait_for_end(name, env.is_running)
        if isinstance(outcome, TaskFailure):
            raise self._failure(env, outcome)
        env.stack.append(outcome or {})

    def _add_submitted_event(self, env) -> None:
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.TaskSubmitted,
            event_details=EventDetails(
                taskSubmittedEventDetails=TaskSubmittedEventDetails(
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                    output=to_json_str({}),
                    outputDetails=HistoryEventExecutionDataDetails(truncated=False),
                )
            ),
        )

    def _failure(self, env, failure: TaskFailure) -> FailureEventException:
        if failure.error.startswith("States."):
            error_name = StatesErrorName.from_name(failure.error)
        else:
            error_name = CustomErrorName(failure.error)
        return FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=failure.error,
                        cause=failure.cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        )


class _RecordingClock:
    """Replacement for the `time` module of moto's retrier, which records each interval and sleeps none."""

    def __init__(self, delays: list[SkippedDelay]):
        self._delays = delays

    def sleep(self, seconds: float) -> None:
        self._delays.append(SkippedDelay("Retry", "", float(seconds)))


@contextmanager
def patched_interpreter(sagemaker: ScriptedSageMaker, delays: list[SkippedDelay]) -> Iterator[None]:
    """Patch moto's interpreter for one rehearsal, and undo every change on exit."""
    check_moto_version()
    original_service_for = state_task_factory.state_task_service_for

    def service_for(service_name: str) -> StateTaskService:
        if service_name == "sagemaker":
            return ScriptedSageMakerTask(sagemaker)
        return original_service_for(service_name)

    def skip_wait(wait_function, env, wait_seconds: int) -> None:
        state = (env.states.context_object.context_object_data.get("State") or {}).get("Name", "")
        delays.append(SkippedDelay("Wait", state, float(wait_seconds)))

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(state_task_factory, "state_task_service_for", service_for))
        stack.enter_context(mock.patch.object(WaitFunction, "_wait_interval", skip_wait))
        stack.enter_context(mock.patch.object(retrier_decl, "time", _RecordingClock(delays)))
        yield
