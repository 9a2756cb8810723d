"""Operations view of the tuning stack: alarms that notify the operators' topic, and the tuning dashboard."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

# The recorder (lambda/record_run.py) publishes these; a template test checks that both sides agree.
RUN_METRIC_NAMESPACE = "NtmTuning"
BEST_LOSS_METRIC = "BestValidationTotalLoss"
RUNS_METRIC = "Runs"
RUN_DURATION_METRIC = "RunDurationSeconds"
TRAINING_JOBS_METRIC = "TrainingJobs"
GPU_HOURS_METRIC = "GpuHours"
RUN_OUTCOMES = ("succeeded", "failed", "rejected", "skipped")

ALARM_PERIOD = Duration.minutes(5)
DASHBOARD_PERIOD = Duration.days(1)


class TuningOperations(Construct):
    """Alarms on the tuning workflow and the recorder, and a CloudWatch dashboard of the runs.

    - `alarms`: executions failed, timed out and aborted (the state machine's
      metrics) and recorder errors (the record function's `Errors`). Each alarm
      fires on one or more in a 5-minute period, treats missing data as not
      breaching, and publishes to `operators_topic`.
    - `topic_key`: the customer managed key of `operators_topic`. Its key
      policy gains a statement that lets CloudWatch use it, because an alarm
      cannot publish to an encrypted topic otherwise.
    - `dashboard`: best `validation:total_loss` per dataset, runs by outcome,
      run duration, training jobs and GPU hours per run, from the recorder's
      metrics for `stage`, plus the alarms' states.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        stage: str,
        state_machine: sfn.StateMachine,
        record_function: lambda_.IFunction,
        operators_topic: sns.ITopic,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)

        topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                # In a key policy, "*" is this key.
                resources=["*"],
            )
        )
        operators_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[operators_topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(service="cloudwatch", resource="alarm", resource_name="*")
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )

        alarm_action = cloudwatch_actions.SnsAction(operators_topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        alarm_metrics = {
            "ExecutionsFailed": (state_machine.metric_failed(period=ALARM_PERIOD), "tuning executions failed"),
            "ExecutionsTimedOut": (state_machine.metric_timed_out(period=ALARM_PERIOD), "tuning executions timed out"),
            "ExecutionsAborted": (state_machine.metric_aborted(period=ALARM_PERIOD), "tuning executions were aborted"),
            "RecorderErrors": (
                record_function.metric_errors(period=ALARM_PERIOD),
                "the run recorder raised errors, so a run may be unrecorded",
            ),
        }
        for alarm_id, (metric, what) in alarm_metrics.items():
            alarm = cloudwatch.Alarm(
                self,
                alarm_id,
                metric=metric,
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"NTM tuning ({stage}): {what} (one or more in 5 minutes)",
            )
            alarm.add_alarm_action(alarm_action)
            self.alarms[alarm_id] = alarm

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.days(90))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Best validation:total_loss per dataset (lower is better)",
                left=[_per_dataset(stage, BEST_LOSS_METRIC, "Minimum")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Runs by outcome (per day)",
                left=[
                    cloudwatch.Metric(
                        namespace=RUN_METRIC_NAMESPACE,
                        metric_name=RUNS_METRIC,
                        dimensions_map={"Stage": stage, "Outcome": outcome},
                        statistic="Sum",
                        period=DASHBOARD_PERIOD,
                        label=outcome,
                    )
                    for outcome in RUN_OUTCOMES
                ],
                stacked=True,
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Run duration (seconds, longest run per day)",
                left=[_per_dataset(stage, RUN_DURATION_METRIC, "Maximum")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Training jobs per run (largest run per day)",
                left=[_per_dataset(stage, TRAINING_JOBS_METRIC, "Maximum")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="GPU hours per run (largest run per day)",
                left=[_per_dataset(stage, GPU_HOURS_METRIC, "Maximum")],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24)
        )


def _per_dataset(stage: str, metric_name: str, statistic: str) -> cloudwatch.MathExpression:
    """Return one line per dataset: a SEARCH over the stage's metric, because datasets appear after deployment."""
    search = (
        f'SEARCH(\'{{{RUN_METRIC_NAMESPACE},Dataset,Stage}} MetricName="{metric_name}" Stage="{stage}"\', '
        f"'{statistic}', {int(DASHBOARD_PERIOD.to_seconds())})"
    )
    # A dynamic label: CloudWatch names each line after its Dataset dimension.
    return cloudwatch.MathExpression(
        expression=search, using_metrics={}, label="${PROP('Dim.Dataset')}", period=DASHBOARD_PERIOD
    )
