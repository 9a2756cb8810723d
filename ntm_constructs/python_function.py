"""A Python Lambda function with its own log group, role and tracing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Duration,
    RemovalPolicy,
    SymlinkFollowMode,
    Validations,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_logs as logs,
)
from constructs import Construct

# The Lambda asset is the repository's `lambda/` folder. It contains a symbolic link
# to `ntm_spec`, followed when the asset is staged, so the rules package ships
# with every function without a Docker build.
LAMBDA_SOURCE = Path(__file__).resolve().parent.parent / "lambda"
RUNTIME = lambda_.Runtime.PYTHON_3_14


class PythonFunction(Construct):
    """Lambda function running `lambda/<handler>` on Python 3.14, arm64.

    Defaults: a dedicated role whose only log permissions are on the function's
    own log group (no AWS managed policy), JSON logs kept `log_retention`
    (default one year, retained on stack deletion), X-Ray active tracing,
    `timeout` 1 minute, 256 MB of memory.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        memory_size: int = 256,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id_)

        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention, removal_policy=RemovalPolicy.RETAIN)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {id_} function",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )

        acknowledge = Validations.of(self.role)
        acknowledge.acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason=(
                    "X-Ray's PutTraceSegments and PutTelemetryRecords, added for "
                    "active tracing, accept no resource scoping"
                ),
            )
        )

        self.lambda_function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=lambda_.Code.from_asset(
                str(LAMBDA_SOURCE),
                follow_symlinks=SymlinkFollowMode.ALWAYS,
                exclude=["**/__pycache__", "**/*.pyc"],
            ),
            description=description,
            environment=dict(environment or {}),
            timeout=timeout or Duration.minutes(1),
            memory_size=memory_size,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
        )
