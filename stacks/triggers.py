"""Run triggers: a dataset manifest landing, a schedule, and the recording of ended executions."""

from __future__ import annotations

from aws_cdk import (
    Acknowledgment,
    Duration,
    TimeZone,
    Validations,
)
from aws_cdk import (
    aws_events as events,
)
from aws_cdk import (
    aws_events_targets as targets,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_scheduler as scheduler,
)
from aws_cdk import (
    aws_scheduler_targets as scheduler_targets,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from constructs import Construct

from ntm_spec.config import TuningConfig
from ntm_spec.dataset import DATASETS_PREFIX, MANIFEST_NAME

# Only the manifest, which `ntm-tune prepare` writes last, starts a run; the
# data files of the same version land before it and match nothing.
MANIFEST_KEY_WILDCARD = f"{DATASETS_PREFIX}*/*/{MANIFEST_NAME}"


class RunTriggers(Construct):
    """EventBridge rules and schedules that start the tuning workflow.

    - `new_data_rule`: an S3 `Object Created` event for `datasets/NAME/VERSION/manifest.json`
      in `datasets_bucket` starts an execution with the event as its input.
    - `schedules`: one EventBridge Scheduler schedule per dataset in
      `config.schedule_datasets`, with the configured expression and time zone,
      starting `{"trigger": "schedule", "dataset": NAME}`; none without a schedule.
    - `ended_execution_rule`: an execution that timed out or was aborted runs no
      state of its own, so its status change invokes `record_function`, which
      records the run and releases the dataset's lock.
    Failed deliveries go to `dead_letter_queue` (encrypted, TLS-only, kept 14 days).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: TuningConfig,
        datasets_bucket: s3.IBucket,
        state_machine: sfn.IStateMachine,
        record_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, id_)

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter queue of the EventBridge and Scheduler targets",
            )
        )

        self.new_data_rule = events.Rule(
            self,
            "NewDatasetVersion",
            description="Starts a tuning run when a dataset version's manifest lands",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [datasets_bucket.bucket_name]},
                    "object": {"key": [{"wildcard": MANIFEST_KEY_WILDCARD}]},
                },
            ),
        )
        self.new_data_rule.add_target(
            targets.SfnStateMachine(
                state_machine,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=3,
                max_event_age=Duration.hours(2),
            )
        )

        self.schedules: list[scheduler.Schedule] = []
        for dataset in config.schedule_datasets:
            expression = scheduler.ScheduleExpression.expression(
                str(config.schedule["expression"]), TimeZone.of(str(config.schedule.get("time_zone", "UTC")))
            )
            self.schedules.append(
                scheduler.Schedule(
                    self,
                    f"Retune-{dataset}",
                    description=f"Retunes the newest version of dataset {dataset}",
                    schedule=expression,
                    target=scheduler_targets.StepFunctionsStartExecution(
                        state_machine,
                        input=scheduler.ScheduleTargetInput.from_object({"trigger": "schedule", "dataset": dataset}),
                        dead_letter_queue=self.dead_letter_queue,
                        retry_attempts=3,
                    ),
                )
            )

        self.ended_execution_rule = events.Rule(
            self,
            "EndedExecution",
            description="Records tuning runs whose execution timed out or was aborted",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"status": ["ABORTED", "TIMED_OUT"], "stateMachineArn": [state_machine.state_machine_arn]},
            ),
        )
        self.ended_execution_rule.add_target(
            targets.LambdaFunction(record_function, dead_letter_queue=self.dead_letter_queue, retry_attempts=3)
        )
