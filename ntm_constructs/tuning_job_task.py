"""Step Functions task that runs a SageMaker hyperparameter tuning job to its end.

aws-cdk-lib has tasks for training, transform and endpoint jobs but none for
tuning jobs. This construct renders the optimized integration
`arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync` as a CustomState.
Like aws-cdk-lib's `SageMakerCreateTrainingJob`, it also generates the
least-privilege IAM statements that the integration needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

INTEGRATION_RESOURCE = "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"

# Step Functions creates this managed rule to learn when the tuning job ends.
MANAGED_RULE_NAME = "StepFunctionsGetEventsForSageMakerTuningJobsRule"

# Errors that SageMaker returns when it did not create the job, so a new attempt
# is safe. The workflow retries them with a fresh job name, never the same one,
# because SageMaker rejects a second create call with a name it has seen.
CREATE_ERRORS = (
    "SageMaker.AmazonSageMakerException",
    "SageMaker.ResourceLimitExceededException",
)


@dataclass(frozen=True)
class StatePath:
    """A value read from the state's input at run time, such as `$.run.datasetPrefix`."""

    path: str

    def __post_init__(self) -> None:
        if not self.path.startswith("$"):
            raise ValueError(f"a state path starts with '$', got {self.path!r}")


def render_parameters(value: object) -> object:
    """Render a request with StatePath values into Amazon States Language Parameters.

    A key whose value is a StatePath, or an intrinsic function string starting
    with `States.`, gets the `.$` suffix, so Step Functions evaluates it at run time.
    """
    if isinstance(value, Mapping):
        rendered = {}
        for key, item in value.items():
            if isinstance(item, StatePath):
                rendered[f"{key}.$"] = item.path
            elif isinstance(item, str) and item.startswith("States."):
                rendered[f"{key}.$"] = item
            else:
                rendered[key] = render_parameters(item)
        return rendered
    if isinstance(value, (list, tuple)):
        return [render_parameters(item) for item in value]
    if isinstance(value, StatePath):
        raise ValueError(f"a StatePath needs a key to attach to: {value.path}")
    return value


class SageMakerCreateHyperParameterTuningJob(Construct):
    """Task state that creates a tuning job and waits for it to end (`.sync`).

    The state fails when the tuning job ends `Failed` or `Stopped`; when the
    execution is aborted or the task times out, Step Functions stops the job.

    Props:
      tuning_job_name: StatePath to the job name; it must start with
        `job_name_prefix` followed by a hyphen, because the IAM statements are
        scoped to that prefix.
      job_name_prefix: lower-case prefix of every job this task creates.
      tuning_job_config: `HyperParameterTuningJobConfig`, a dict or a StatePath.
      training_job_definition: `TrainingJobDefinition`; values may be StatePaths.
      execution_role: the SageMaker execution role; the state machine may pass
        only this role, and only to SageMaker.
      tags: tags for the tuning job, values may be StatePaths. Default: none.
      warm_start_config: StatePath to a `WarmStartConfig`. Default: none, a cold
        start; Step Functions cannot leave a field out at run time, so a workflow
        that warm-starts only sometimes needs one task of each kind.
      result_selector: what to keep of the final DescribeHyperParameterTuningJob
        response. Default: name, ARN and status, because the full response can
        exceed the 256 KB state size limit and later states need only these.
      result_path: where the selection goes in the state. Default `$.tuningJob`.
      state_name: the state's name in the definition. Default "Run tuning job".
      timeout: the task's timeout. Default: none, so the tuning job's own limits
        apply.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        tuning_job_name: StatePath,
        job_name_prefix: str,
        tuning_job_config: Mapping[str, object] | StatePath,
        training_job_definition: Mapping[str, object],
        execution_role: iam.IRole,
        tags: Mapping[str, str | StatePath] | None = None,
        warm_start_config: StatePath | None = None,
        result_selector: Mapping[str, str] | None = None,
        result_path: str = "$.tuningJob",
        timeout: Duration | None = None,
        comment: str | None = None,
        state_name: str = "Run tuning job",
    ) -> None:
        super().__init__(scope, id_)
        self.job_name_prefix = job_name_prefix

        parameters: dict[str, object] = {
            "HyperParameterTuningJobName": tuning_job_name,
            "HyperParameterTuningJobConfig": tuning_job_config,
            "TrainingJobDefinition": training_job_definition,
        }
        if warm_start_config is not None:
            parameters["WarmStartConfig"] = warm_start_config
        if tags:
            parameters["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]

        selector = result_selector or {
            "HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName",
            "HyperParameterTuningJobArn.$": "$.HyperParameterTuningJobArn",
            "HyperParameterTuningJobStatus.$": "$.HyperParameterTuningJobStatus",
        }
        state_json: dict[str, object] = {
            "Type": "Task",
            "Resource": INTEGRATION_RESOURCE,
            "Parameters": render_parameters(parameters),
            "ResultSelector": dict(selector),
            "ResultPath": result_path,
        }
        if timeout is not None:
            state_json["TimeoutSeconds"] = int(timeout.to_seconds())
        if comment:
            state_json["Comment"] = comment

        self.state = sfn.CustomState(self, state_name, state_json=state_json)
        self.policy_statements = self._policy_statements(execution_role)

    def _policy_statements(self, execution_role: iam.IRole) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        tuning_jobs = stack.format_arn(
            service="sagemaker",
            resource="hyper-parameter-tuning-job",
            resource_name=f"{self.job_name_prefix}-*",
        )
        managed_rule = stack.format_arn(service="events", resource="rule", resource_name=MANAGED_RULE_NAME)
        return [
            iam.PolicyStatement(
                sid="ManageTuningJobs",
                actions=[
                    "sagemaker:CreateHyperParameterTuningJob",
                    "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:StopHyperParameterTuningJob",
                    "sagemaker:AddTags",
                ],
                resources=[tuning_jobs],
            ),
            # ListTags takes no resource-level scoping that the integration documents.
            iam.PolicyStatement(sid="ListTuningJobTags", actions=["sagemaker:ListTags"], resources=["*"]),
            iam.PolicyStatement(
                sid="PassExecutionRole",
                actions=["iam:PassRole"],
                resources=[execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="ManageTuningJobEventsRule",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[managed_rule],
            ),
        ]

    def grant_run(self, role: iam.IRole) -> None:
        """Give `role` (the state machine's) what this task needs, and nothing else."""
        for statement in self.policy_statements:
            role.add_to_principal_policy(statement)
