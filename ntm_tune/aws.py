"""AWS access for the commands that operate a deployed stack.

Every such command takes `--stack`, `--profile` and `--region`, finds the stack's
resources from its CloudFormation outputs and reports AWS errors as one sentence
with what to do next. boto3 and botocore are imported inside functions, so that
importing this module keeps `ntm-tune --help` fast.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from ntm_tune.errors import UsageError

DEFAULT_STACK_NAME = "NtmTuning-dev"

# CloudFormation output key -> StackOutputs field.
OUTPUT_FIELDS = {
    "DatasetsBucketName": "datasets_bucket",
    "ArtifactsBucketName": "artifacts_bucket",
    "RunHistoryTableName": "run_history_table",
    "StateMachineArn": "state_machine_arn",
    "OperatorsTopicArn": "operators_topic_arn",
}

# Error codes by what the user can do about them. Services spell the same error differently.
ACCESS_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AuthorizationErrorException",
}
INVALID_CREDENTIALS_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
}
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "ProvisionedThroughputExceededException",
    "SlowDown",
}
SERVICE_FAILURE_CODES = {
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
}
NOT_FOUND_CODES = {
    "ExecutionDoesNotExist",
    "StateMachineDoesNotExist",
    "ResourceNotFound",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "NoSuchKey",
}

# botocore's standard retry mode retries throttling and transient errors with jittered
# exponential backoff. Five attempts wait at most 1 + 2 + 4 + 8 = 15 s in total.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class StackOutputs:
    """The deployed stack's resources, from its CloudFormation outputs."""

    datasets_bucket: str
    artifacts_bucket: str
    run_history_table: str
    state_machine_arn: str
    operators_topic_arn: str


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --stack, --profile and --region to a subcommand's parser."""
    group = parser.add_argument_group("AWS")
    group.add_argument(
        "--stack",
        default=DEFAULT_STACK_NAME,
        metavar="NAME",
        help=f"CloudFormation stack that `cdk deploy` created, NtmTuning-STAGE (default: {DEFAULT_STACK_NAME})",
    )
    group.add_argument(
        "--profile",
        metavar="NAME",
        help="named profile from the AWS config files (default: AWS_PROFILE, then the default credential chain)",
    )
    group.add_argument(
        "--region",
        metavar="REGION",
        help="AWS Region of the stack (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's Region)",
    )


def create_client(session, service_name: str):
    """Create one botocore client with standard retries. Tests replace this function to inject stubs."""
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}, user_agent_extra="ntm-tune")
    return session.client(service_name, config=config)


class AwsContext:
    """One boto3 session, its clients and the stack's outputs, created on first use."""

    def __init__(self, session, stack_name: str) -> None:
        self.session = session
        self.stack_name = stack_name
        self._clients: dict[str, object] = {}

    @property
    def region(self) -> str:
        from botocore.exceptions import NoRegionError

        region = self.session.region_name
        if not region:
            raise NoRegionError()
        return region

    def client(self, service_name: str):
        if service_name not in self._clients:
            self._clients[service_name] = create_client(self.session, service_name)
        return self._clients[service_name]

    @cached_property
    def outputs(self) -> StackOutputs:
        return read_stack_outputs(self.client("cloudformation"), self.stack_name, self.region)


def connect(args: argparse.Namespace) -> AwsContext:
    """Create the session from --profile and --region, or from the standard AWS environment variables."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except ProfileNotFound:
        raise UsageError(
            f"the AWS profile {args.profile!r} was not found in the AWS config files. "
            "Pass a profile that `aws configure list-profiles` lists, or create it with `aws configure --profile`"
        ) from None
    return AwsContext(session, args.stack)


def read_stack_outputs(cloudformation, stack_name: str, region: str) -> StackOutputs:
    """Return the stack's outputs, or raise UsageError when the stack or an output is missing."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if _code(error) == "ValidationError" and "does not exist" in _message(error):
            raise UsageError(
                f"the stack {stack_name} was not found in {region}. "
                "Deploy it with `npx cdk deploy`, or pass the deployed stack's name with --stack "
                "and its Region with --region"
            ) from None
        raise

    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    missing = [key for key in OUTPUT_FIELDS if key not in outputs]
    if missing:
        raise UsageError(
            f"the stack {stack_name} in {region} has no output {', '.join(missing)}, "
            f"so it is not an NTM tuning stack or its deployment did not finish (status "
            f"{stacks[0].get('StackStatus', 'unknown')}). Deploy it again with `npx cdk deploy`"
        )
    return StackOutputs(**{field: outputs[key] for key, field in OUTPUT_FIELDS.items()})


def reports_aws_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn botocore errors raised by a command's `run` into one message.

    Errors that the user must fix first (credentials, permissions, names) raise
    UsageError, which `ntm-tune` prints with exit status 2. Errors that may pass
    (throttling, service or network failures) print the message and return 1.
    """

    @functools.wraps(run)
    def run_reporting_aws_errors(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return run(args)
        except (BotoCoreError, ClientError) as error:
            message, status = explain_aws_error(error)
        if status == 2:
            raise UsageError(message)
        print(f"ntm-tune {args.command}: {message}", file=sys.stderr)
        return status

    return run_reporting_aws_errors


def explain_aws_error(error: Exception) -> tuple[str, int]:
    """Return one sentence on what failed and what to do next, and the exit status: 2 or 1."""
    from botocore import exceptions

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return (
            "no AWS credentials were found. Pass --profile NAME or set AWS_PROFILE, "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure` or `aws sso login`",
            2,
        )
    if isinstance(error, exceptions.NoRegionError):
        return "no AWS Region is set. Pass --region REGION, set AWS_REGION, or set a Region in the profile", 2
    if isinstance(error, exceptions.ProfileNotFound):
        return f"{error}. Pass a profile that `aws configure list-profiles` lists", 2
    if isinstance(error, exceptions.TokenRetrievalError | exceptions.SSOError | exceptions.CredentialRetrievalError):
        return f"the AWS credentials could not be loaded ({error}). Run `aws sso login` or renew the credentials", 2
    if isinstance(error, exceptions.EndpointConnectionError | exceptions.ConnectTimeoutError):
        return f"AWS could not be reached ({error}). Check the network connection and the Region, then try again", 1
    if isinstance(error, exceptions.ReadTimeoutError):
        return f"AWS did not answer in time ({error}). Try again", 1
    if not isinstance(error, exceptions.ClientError):
        return f"the AWS SDK failed: {error}", 1

    code = _code(error)
    operation = error.operation_name
    detail = _message(error)
    if code in ACCESS_DENIED_CODES:
        return (
            f"access denied: AWS rejected {operation} ({detail}). "
            "Use credentials that are allowed to call it (--profile), or ask an administrator to grant it",
            2,
        )
    if code in INVALID_CREDENTIALS_CODES:
        return (
            f"AWS rejected the credentials on {operation} ({code}: {detail}). "
            "Renew them (for example with `aws sso login`) or pass another profile with --profile",
            2,
        )
    if code in NOT_FOUND_CODES:
        return f"{operation} failed: not found ({detail}). Check the name, --stack and --region", 2
    if code in THROTTLING_CODES:
        return (
            f"AWS throttled {operation} after {MAX_ATTEMPTS} attempts ({code}). "
            "Wait a minute and run the command again",
            1,
        )
    if code in SERVICE_FAILURE_CODES:
        return f"{operation} failed on the AWS side ({code}: {detail}). Try again in a few minutes", 1
    return f"{operation} failed: {code}: {detail}", 1


def console_execution_url(execution_arn: str) -> str:
    """Return the Step Functions console page of an execution."""
    partition, region = execution_arn.split(":")[1], execution_arn.split(":")[3]
    hosts = {
        "aws": f"{region}.console.aws.amazon.com",
        "aws-cn": "console.amazonaws.cn",
        "aws-us-gov": "console.amazonaws-us-gov.com",
    }
    host = hosts.get(partition, f"{region}.console.aws.amazon.com")
    # NOTE: the console's page layout is not a documented API; this is the v2 execution
    # details page as the console linked it in 2026.
    return f"https://{host}/states/home?region={region}#/v2/executions/details/{execution_arn}"


def _code(error) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error) -> str:
    return str(error.response.get("Error", {}).get("Message", "")).rstrip(".")
