"""The NTM tuning stack: storage, roles, functions and the tuning workflow."""

from __future__ import annotations

import json

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sns_subscriptions as subscriptions,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from constructs import Construct

from ntm_constructs import (
    PythonFunction,
    SageMakerCreateHyperParameterTuningJob,
    SecureBucket,
    StatePath,
)
from ntm_spec.config import TuningConfig
from ntm_spec.dataset import DATASETS_PREFIX, VOCABULARY_KEY
from ntm_spec.images import ntm_image_uri
from ntm_spec.request import (
    TUNING_OUTPUT_PREFIX,
    Placement,
    build_fixed_training_fields,
    build_input_data_config,
)
from ntm_spec.results import RUN_SUMMARY_PREFIX
from stacks.operations import TuningOperations
from stacks.triggers import RunTriggers
from stacks.workflow import WorkflowParts, build_definition

# SageMaker training jobs write their logs and metrics under these names.
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRAINING_METRIC_NAMESPACE = "/aws/sagemaker/TrainingJobs"


def acknowledge(scope: Construct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on one construct, with the reason it is acceptable."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule_id}", reason=reason))


class NtmTuningStack(Stack):
    """Buckets, run history, SageMaker execution role and the tuning state machine.

    `config` is a validated TuningConfig; the stack reads no context itself.
    The stack's Region must be concrete, because it selects the NTM image.
    """

    def __init__(self, scope: Construct, id_: str, *, config: TuningConfig, **kwargs) -> None:
        super().__init__(scope, id_, **kwargs)
        image_uri = ntm_image_uri(self.region)
        customer_key = kms.Key.from_key_arn(self, "CustomerKey", config.kms_key_arn) if config.kms_key_arn else None

        # Storage
        access_logs = SecureBucket(self, "AccessLogs", access_logs_bucket=None, noncurrent_version_expiration_days=90)
        acknowledge(
            access_logs.s3_bucket,
            "AwsSolutions-S1",
            "This bucket receives the other buckets' server access logs; logging it "
            "into itself would log its own log deliveries",
        )
        datasets = SecureBucket(
            self,
            "Datasets",
            access_logs_bucket=access_logs.s3_bucket,
            access_logs_prefix="datasets/",
            encryption_key=customer_key,
            event_bridge_enabled=True,
        )
        self._acknowledge_notifications_handler()
        artifacts = SecureBucket(
            self,
            "Artifacts",
            access_logs_bucket=access_logs.s3_bucket,
            access_logs_prefix="artifacts/",
            encryption_key=customer_key,
        )
        run_history = dynamodb.TableV2(
            self,
            "RunHistory",
            partition_key=dynamodb.Attribute(name="dataset", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="runKey", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        run_locks = dynamodb.TableV2(
            self,
            "RunLocks",
            partition_key=dynamodb.Attribute(name="lockKey", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )

        # Notifications: a customer managed key, so that CloudWatch alarms may publish too.
        topic_key = kms.Key(self, "OperatorsTopicKey", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN)
        operators = sns.Topic(self, "OperatorsTopic", master_key=topic_key, enforce_ssl=True)
        if config.notification_email:
            operators.add_subscription(subscriptions.EmailSubscription(config.notification_email))

        # SageMaker execution role: read datasets, write model artifacts, own logs and metrics.
        execution_role = iam.Role(
            self,
            "SageMakerExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Runs the NTM training jobs that the tuning workflow starts",
        )
        execution_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDatasets",
                actions=["s3:GetObject"],
                resources=[datasets.s3_bucket.arn_for_objects(f"{DATASETS_PREFIX}*")],
            )
        )
        execution_role.add_to_policy(
            iam.PolicyStatement(
                sid="ListDatasets",
                actions=["s3:ListBucket"],
                resources=[datasets.s3_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{DATASETS_PREFIX}*"]}},
            )
        )
        execution_role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteModelArtifacts",
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[artifacts.s3_bucket.arn_for_objects(f"{TUNING_OUTPUT_PREFIX}*")],
            )
        )
        execution_role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteTrainingLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=TRAINING_LOG_GROUP,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    ),
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"{TRAINING_LOG_GROUP}:log-stream:{config.job_name_prefix}-*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    ),
                ],
            )
        )
        execution_role.add_to_policy(
            iam.PolicyStatement(
                sid="PublishTrainingMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": TRAINING_METRIC_NAMESPACE}},
            )
        )
        if customer_key is not None:
            customer_key.grant_encrypt_decrypt(execution_role)
        self._acknowledge_execution_role(execution_role, datasets.s3_bucket, artifacts.s3_bucket, config)

        # Functions
        validate_function = PythonFunction(
            self,
            "ValidateRun",
            handler="validate_run.handler",
            description="Turns a trigger into a validated NTM tuning run, or rejects it",
            environment={
                "DATASETS_BUCKET": datasets.s3_bucket.bucket_name,
                "TUNING_CONFIG": json.dumps(config.raw, separators=(",", ":"), sort_keys=True),
                "LOCKS_TABLE": run_locks.table_name,
                "RUN_HISTORY_TABLE": run_history.table_name,
                "RUN_TIMEOUT_SECONDS": str(config.run_timeout_seconds),
            },
        )
        record_function = PythonFunction(
            self,
            "RecordRun",
            handler="record_run.handler",
            description="Records an NTM tuning run's best training job or its failure",
            # Describes every training job of the run, one call each; 750 jobs is the tuning job maximum.
            timeout=Duration.minutes(5),
            environment={
                "RUN_HISTORY_TABLE": run_history.table_name,
                "LOCKS_TABLE": run_locks.table_name,
                "ARTIFACTS_BUCKET": artifacts.s3_bucket.bucket_name,
                "STAGE": config.stage,
            },
        )

        # Workflow
        placement = Placement(
            role_arn=execution_role.role_arn,
            image_uri=image_uri,
            output_s3_uri=artifacts.s3_bucket.s3_url_for_object(TUNING_OUTPUT_PREFIX),
            channel_s3_uris={},
        )
        training_job_definition = build_fixed_training_fields(config, placement)
        training_job_definition["StaticHyperParameters"] = StatePath("$.run.staticHyperParameters")
        training_job_definition["InputDataConfig"] = _input_channels(config, datasets.s3_bucket.bucket_name)
        task_props = {
            "tuning_job_name": StatePath("$.attempt.tuningJobName"),
            "job_name_prefix": config.job_name_prefix,
            "tuning_job_config": StatePath("$.run.tuningJobConfig"),
            "training_job_definition": training_job_definition,
            "execution_role": execution_role,
            # The training jobs inherit these, so GPU cost shows up under the configured tags.
            "tags": {
                **config.tags,
                "ntm:dataset": StatePath("$.run.dataset"),
                "ntm:run-id": StatePath("$.run.runId"),
                "ntm:stage": config.stage,
            },
        }
        tuning_task = SageMakerCreateHyperParameterTuningJob(
            self,
            "RunTuningJob",
            comment="Creates the tuning job and waits, without polling, until it ends",
            **task_props,
        )
        warm_tuning_task = SageMakerCreateHyperParameterTuningJob(
            self,
            "RunWarmTuningJob",
            state_name="Run tuning job (warm start)",
            warm_start_config=StatePath("$.run.warmStartConfig"),
            comment="Creates the tuning job from earlier runs' results and waits until it ends",
            **task_props,
        )

        workflow_logs = logs.LogGroup(
            self, "WorkflowLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        definition = build_definition(
            self,
            WorkflowParts(
                validate_function=validate_function.lambda_function,
                record_function=record_function.lambda_function,
                tuning_task=tuning_task,
                warm_tuning_task=warm_tuning_task,
                operators_topic=operators,
            ),
        )
        state_machine = sfn.StateMachine(
            self,
            "TuningWorkflow",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            comment="Tunes the SageMaker NTM algorithm on one dataset version and records the best training job",
            logs=sfn.LogOptions(destination=workflow_logs, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
            timeout=Duration.seconds(config.run_timeout_seconds),
        )

        # Grants between the pieces
        tuning_task.grant_run(state_machine.role)
        warm_tuning_task.grant_run(state_machine.role)
        run_locks.grant(validate_function.role, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem")
        run_locks.grant(record_function.role, "dynamodb:GetItem", "dynamodb:DeleteItem")
        run_history.grant(validate_function.role, "dynamodb:Query")
        validate_function.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListDatasetVersions",
                actions=["s3:ListBucket"],
                resources=[datasets.s3_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{DATASETS_PREFIX}*"]}},
            )
        )
        triggers = RunTriggers(
            self,
            "Triggers",
            config=config,
            datasets_bucket=datasets.s3_bucket,
            state_machine=state_machine,
            record_function=record_function.lambda_function,
        )
        topic_key.grant(state_machine.role, "kms:Decrypt", "kms:GenerateDataKey")
        if customer_key is not None:
            customer_key.grant_decrypt(validate_function.role)
            customer_key.grant_encrypt_decrypt(record_function.role)
        validate_function.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadManifests",
                actions=["s3:GetObject"],
                resources=[
                    datasets.s3_bucket.arn_for_objects(f"{DATASETS_PREFIX}*/manifest.json"),
                    datasets.s3_bucket.arn_for_objects(f"{DATASETS_PREFIX}*/{VOCABULARY_KEY}"),
                ],
            )
        )
        for pattern in ("manifest.json", VOCABULARY_KEY):
            acknowledge(
                validate_function.role,
                f"AwsSolutions-IAM5[Resource::<{self._logical_id(datasets.s3_bucket)}.Arn>/{DATASETS_PREFIX}*/{pattern}]",
                "The function checks the manifest and vocabulary of whichever dataset version a trigger names; "
                "versions are created after deployment",
            )
        run_history.grant(record_function.role, "dynamodb:PutItem")
        record_function.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteRunSummaries",
                actions=["s3:PutObject"],
                resources=[artifacts.s3_bucket.arn_for_objects(f"{RUN_SUMMARY_PREFIX}*")],
            )
        )
        acknowledge(
            record_function.role,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(artifacts.s3_bucket)}.Arn>/{RUN_SUMMARY_PREFIX}*]",
            "One JSON summary per run is written under runs/, with keys named "
            "after runs that do not exist at deployment",
        )
        record_function.role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeTuningJobs",
                actions=["sagemaker:DescribeHyperParameterTuningJob"],
                resources=[tuning_task.policy_statements[0].resources[0]],
            )
        )
        record_function.role.add_to_policy(
            iam.PolicyStatement(
                sid="PublishRunMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "NtmTuning"}},
            )
        )

        tuning_jobs_arn = self._nag_arn("sagemaker", f"hyper-parameter-tuning-job/{config.job_name_prefix}-*")
        tuning_jobs_finding = f"AwsSolutions-IAM5[Resource::{tuning_jobs_arn}]"
        acknowledge(
            record_function.role,
            tuning_jobs_finding,
            "The recorder describes the run's tuning job, whose name is generated "
            "per run under the stack's job name prefix",
        )
        acknowledge(
            state_machine.role,
            tuning_jobs_finding,
            "Tuning job names are generated per run; the prefix limits the state machine to this stack's jobs",
        )
        acknowledge(
            state_machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "sagemaker:ListTags, which the .sync integration calls, and X-Ray tracing accept no resource scoping",
        )
        for function in (validate_function, record_function):
            acknowledge(
                state_machine.role,
                f"AwsSolutions-IAM5[Resource::<{self._logical_id(function.lambda_function)}.Arn>:*]",
                "LambdaInvoke grants the function's versions and aliases too; the function ARN itself is fixed",
            )
        acknowledge(
            record_function.role,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudwatch:PutMetricData and X-Ray accept no resource scoping; the metric "
            "statement is limited to the NtmTuning namespace",
        )
        self._grant_spend_and_events(record_function.role, tuning_task, config)

        operations = TuningOperations(
            self,
            "Operations",
            stage=config.stage,
            state_machine=state_machine,
            record_function=record_function.lambda_function,
            operators_topic=operators,
            topic_key=topic_key,
        )

        self.run_locks_table = run_locks
        self.triggers = triggers
        self.datasets_bucket = datasets.s3_bucket
        self.artifacts_bucket = artifacts.s3_bucket
        self.access_logs_bucket = access_logs.s3_bucket
        self.run_history_table = run_history
        self.operators_topic = operators
        self.execution_role = execution_role
        self.state_machine = state_machine
        self.tuning_task = tuning_task
        self.record_function = record_function
        self.operations = operations

        CfnOutput(self, "DatasetsBucketName", value=datasets.s3_bucket.bucket_name)
        CfnOutput(self, "ArtifactsBucketName", value=artifacts.s3_bucket.bucket_name)
        CfnOutput(self, "RunHistoryTableName", value=run_history.table_name)
        CfnOutput(self, "StateMachineArn", value=state_machine.state_machine_arn)
        CfnOutput(self, "OperatorsTopicArn", value=operators.topic_arn)

    def _grant_spend_and_events(
        self, role: iam.IRole, tuning_task: SageMakerCreateHyperParameterTuningJob, config: TuningConfig
    ) -> None:
        """Let the recorder read the run's training jobs and put the run-completed event on the default bus."""
        # NOTE: the tuning job as this action's resource is inferred from the other tuning job actions.
        # The API documentation does not name the action's resource type.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListTuningJobTrainingJobs",
                actions=["sagemaker:ListTrainingJobsForHyperParameterTuningJob"],
                resources=[tuning_task.policy_statements[0].resources[0]],
            )
        )
        training_jobs = self.format_arn(
            service="sagemaker", resource="training-job", resource_name=f"{config.job_name_prefix}-*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeTrainingJobs", actions=["sagemaker:DescribeTrainingJob"], resources=[training_jobs]
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{self._nag_arn('sagemaker', f'training-job/{config.job_name_prefix}-*')}]",
            "A tuning job names its training jobs TUNINGJOB-NNN-XXXXXXXX, so they share the stack's job name prefix "
            "and are created per run",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PutRunCompletedEvents",
                actions=["events:PutEvents"],
                resources=[self.format_arn(service="events", resource="event-bus", resource_name="default")],
            )
        )

    def _acknowledge_notifications_handler(self) -> None:
        # aws-cdk-lib adds this singleton function to turn on the bucket's EventBridge notifications.
        for child in self.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                acknowledge(
                    child.node.find_child("Role"),
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                    "aws-cdk-lib's deployment-time handler that turns on EventBridge "
                    "notifications; the managed policy grants only its logs",
                )

    def _nag_arn(self, service: str, resource: str) -> str:
        """Spell an ARN of this account the way cdk-nag prints it in a finding id."""
        account = "<AWS::AccountId>" if Token.is_unresolved(self.account) else self.account
        partition = "<AWS::Partition>" if Token.is_unresolved(self.partition) else self.partition
        return f"arn:{partition}:{service}:{self.region}:{account}:{resource}"

    def _logical_id(self, construct: Construct) -> str:
        return self.get_logical_id(construct.node.default_child)

    def _acknowledge_execution_role(self, role: iam.Role, datasets, artifacts, config: TuningConfig) -> None:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(datasets)}.Arn>/{DATASETS_PREFIX}*]",
            "Training jobs read every object of the dataset version they are given, "
            "and versions are created after deployment",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(artifacts)}.Arn>/{TUNING_OUTPUT_PREFIX}*]",
            "SageMaker writes each training job's model under tuning-jobs/JOB/, and job names are generated per run",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::"
            + self._nag_arn("logs", f"log-group:{TRAINING_LOG_GROUP}:log-stream:{config.job_name_prefix}-*")
            + "]",
            "Each training job writes its own log stream named after the job, under this stack's job name prefix",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudwatch:PutMetricData accepts no resource scoping; the statement is "
            "limited to SageMaker's training metrics namespace",
        )


def _input_channels(config: TuningConfig, bucket_name: str) -> list[dict[str, object]]:
    """InputDataConfig whose S3 URIs join the datasets bucket with the run's dataset prefix."""
    uris = {
        channel.name: f"States.Format('s3://{bucket_name}/{{}}{channel.name}/', $.run.datasetPrefix)"
        for channel in config.channels
    }
    return build_input_data_config(config, uris)
