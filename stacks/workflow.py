"""The tuning workflow's states and how they connect.

Success path: Validate run -> Run or skip? -> Warm start? -> Run tuning job (.sync),
cold or warm -> Record result -> Succeed. A run that finds its dataset busy, or
repeats a manifest's event, goes Record skipped -> Run skipped (Succeed).
A create call that SageMaker rejects before the job exists is retried after a
doubling wait with a fresh job name (`RUNID-2` ... `RUNID-5`), because a second
create call with the same name fails. Every other failure goes to Record failure
-> Notify operators -> Fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ntm_constructs.tuning_job_task import CREATE_ERRORS, SageMakerCreateHyperParameterTuningJob
from ntm_spec.names import MAX_CREATE_ATTEMPTS

# Errors of the Lambda service itself (not of the handler), worth a retry.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


@dataclass(frozen=True)
class WorkflowParts:
    validate_function: lambda_.IFunction
    record_function: lambda_.IFunction
    tuning_task: SageMakerCreateHyperParameterTuningJob
    warm_tuning_task: SageMakerCreateHyperParameterTuningJob
    operators_topic: sns.ITopic


def build_definition(scope: Construct, parts: WorkflowParts) -> sfn.IChainable:
    """Return the start state of the tuning workflow."""
    execution = {
        "name": sfn.JsonPath.string_at("$$.Execution.Name"),
        "startTime": sfn.JsonPath.string_at("$$.Execution.StartTime"),
    }

    notify = tasks.SnsPublish(
        scope,
        "Notify operators",
        topic=parts.operators_topic,
        subject="NTM tuning run did not succeed",
        message=sfn.TaskInput.from_object(
            {
                "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                "outcome": sfn.JsonPath.string_at("$.record.outcome"),
                "reason": sfn.JsonPath.string_at("$.record.reason"),
            }
        ),
        result_path=sfn.JsonPath.DISCARD,
    )
    fail = sfn.Fail(scope, "Run failed", cause="The run did not succeed; see the run history", error="RunFailed")
    notify_unrecorded = tasks.SnsPublish(
        scope,
        "Notify operators of unrecorded failure",
        topic=parts.operators_topic,
        subject="NTM tuning run failed and could not be recorded",
        message=sfn.TaskInput.from_object(
            {"execution": sfn.JsonPath.string_at("$$.Execution.Id"), "error": sfn.JsonPath.object_at("$.recordError")}
        ),
        result_path=sfn.JsonPath.DISCARD,
    )
    notify_unrecorded.next(fail)

    record_failure = _record_state(
        scope, "Record failure", parts.record_function, execution, retry_errors=LAMBDA_SERVICE_ERRORS, interval=2
    )
    record_failure.add_catch(notify_unrecorded, errors=["States.ALL"], result_path="$.recordError")
    record_failure.next(notify).next(fail)

    validate = tasks.LambdaInvoke(
        scope,
        "Validate run",
        lambda_function=parts.validate_function,
        payload=sfn.TaskInput.from_object({"event": sfn.JsonPath.entire_payload, "execution": execution}),
        payload_response_only=True,
        retry_on_service_exceptions=False,
    )
    validate.add_retry(errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=3, backoff_rate=2)
    validate.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")

    record_skipped = _record_state(
        scope,
        "Record skipped",
        parts.record_function,
        execution,
        retry_errors=[*LAMBDA_SERVICE_ERRORS, "States.TaskFailed"],
        interval=5,
    )
    record_skipped.add_catch(notify_unrecorded, errors=["States.ALL"], result_path="$.recordError")
    record_skipped.next(sfn.Succeed(scope, "Run skipped"))

    choose_tuning = sfn.Choice(scope, "Warm start?")
    run_or_skip = sfn.Choice(scope, "Run or skip?")
    run_or_skip.when(sfn.Condition.string_equals("$.decision", "skip"), record_skipped).otherwise(choose_tuning)

    cold, warm = parts.tuning_task.state, parts.warm_tuning_task.state
    choose_tuning.when(sfn.Condition.is_present("$.run.warmStartConfig"), warm).otherwise(cold)
    can_retry_create = sfn.Choice(scope, "Create attempts left?")
    wait = sfn.Wait(scope, "Wait before new attempt", time=sfn.WaitTime.seconds_path("$.attempt.waitSeconds"))
    rename = sfn.Pass(
        scope,
        "Name new attempt",
        # The state is rebuilt from run and attempt, so the caught error does not
        # follow the new attempt into "Record result".
        parameters={
            "run.$": "$.run",
            "attempt": {
                "number.$": "States.MathAdd($.attempt.number, 1)",
                "tuningJobName.$": "States.Format('{}-{}', $.run.runId, States.MathAdd($.attempt.number, 1))",
                "waitSeconds.$": "States.MathAdd($.attempt.waitSeconds, $.attempt.waitSeconds)",
            },
        },
    )
    for tuning in (cold, warm):
        tuning.add_catch(can_retry_create, errors=list(CREATE_ERRORS), result_path="$.error")
        tuning.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")
    # A rejected request arrives under the same error name as throttling; retrying
    # it cannot succeed. NOTE: this relies on the Cause naming the error code as
    # "Error Code: ValidationException", which is observed, not documented.
    retry_condition = sfn.Condition.and_(
        sfn.Condition.number_less_than("$.attempt.number", MAX_CREATE_ATTEMPTS),
        sfn.Condition.not_(sfn.Condition.string_matches("$.error.Cause", "*Error Code: ValidationException*")),
    )
    can_retry_create.when(retry_condition, wait.next(rename).next(choose_tuning)).otherwise(record_failure)

    # The recorder is idempotent, so a handler error is retried too.
    record_result = _record_state(
        scope,
        "Record result",
        parts.record_function,
        execution,
        retry_errors=[*LAMBDA_SERVICE_ERRORS, "Lambda.Unknown", "States.TaskFailed"],
        interval=5,
    )
    record_result.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")

    succeeded = sfn.Choice(scope, "Run succeeded?")
    succeeded.when(sfn.Condition.string_equals("$.record.outcome", "succeeded"), sfn.Succeed(scope, "Run succeeded"))
    succeeded.otherwise(notify)

    cold.next(record_result)
    warm.next(record_result)
    record_result.next(succeeded)
    return validate.next(run_or_skip)


def _record_state(
    scope: Construct,
    name: str,
    record_function: lambda_.IFunction,
    execution: dict[str, str],
    *,
    retry_errors: list[str],
    interval: int,
) -> tasks.LambdaInvoke:
    """Return a state that hands the whole state and the execution's name and start to the recorder."""
    state = tasks.LambdaInvoke(
        scope,
        name,
        lambda_function=record_function,
        payload=sfn.TaskInput.from_object({"state": sfn.JsonPath.entire_payload, "execution": execution}),
        payload_response_only=True,
        result_path="$.record",
        retry_on_service_exceptions=False,
    )
    state.add_retry(errors=retry_errors, interval=Duration.seconds(interval), max_attempts=3, backoff_rate=2)
    return state
