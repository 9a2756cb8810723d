"""`ntm-tune start`: validate a manual run locally, then start an execution of the tuning workflow.

The run is checked with the same `ntm_spec.runs` functions and the same deployed
configuration as the workflow's first state, so a run that would be rejected there
is rejected here before anything starts.
"""

from __future__ import annotations

import argparse
import json

from ntm_tune.aws import add_aws_arguments, reports_aws_errors
from ntm_tune.errors import UsageError

# Step Functions execution names are 1 to 80 characters.
EXECUTION_NAME_MAX_LENGTH = 80
VALIDATE_STATE = "Validate run"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "start",
        help="start a tuning run by hand",
        description="Check a manual run by the rules of the workflow's first state, with the deployed "
        "configuration, then start an execution. Prints its ARN and its Step Functions console page.",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="dataset under datasets/NAME/ (default: the configuration's dataset.name)"
    )
    parser.add_argument(
        "--version",
        metavar="VERSION",
        help="dataset version under datasets/NAME/VERSION/ (default: the version whose manifest.json was written last)",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="per-run override: num_topics, max_training_jobs, max_parallel_training_jobs, "
        "ranges.NAME.KEY (for example ranges.learning_rate.max=0.05) or ranges={...} to replace all ranges "
        "(repeatable; values are read as TOML)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="validate against this TOML configuration instead of the one deployed in the stack",
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and print the run without starting it")
    add_aws_arguments(parser)
    parser.set_defaults(run=run)


@reports_aws_errors
def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ntm_spec.config import load_config
    from ntm_spec.dataset import NAME_PATTERN
    from ntm_spec.errors import SpecError
    from ntm_spec.runs import apply_overrides, parse_trigger, plan_run
    from ntm_tune.aws import connect, console_execution_url

    # Mistakes in the command line come before any AWS call, so they show without credentials.
    check_assignments(args.assignments)
    context = connect(args)
    outputs = context.outputs

    try:
        base_config = read_base_config(context, args.config)
        dataset = args.dataset or load_config(base_config).dataset_name
        version = args.version
        if version is None and NAME_PATTERN.match(dataset):
            version = newest_dataset_version(context.client("s3"), outputs.datasets_bucket, dataset)
        execution_input = {
            "dataset": dataset,
            "version": version,
            "overrides": build_overrides(args.assignments, base_config),
        }
        request = parse_trigger(execution_input, default_dataset=dataset)
        manifest = read_manifest(context.client("s3"), outputs.datasets_bucket, request.dataset, request.version)
        now = datetime.now(UTC)
        plan_run(base_config, request, feature_dim=manifest.feature_dim, now=now)
        config = apply_overrides(base_config, request.overrides)
    except SpecError as error:
        raise UsageError("the run is invalid, so nothing was started:\n  " + "\n  ".join(error.messages())) from None

    print(
        f"Run of dataset {dataset} version {version} (feature_dim {manifest.feature_dim}): "
        f"at most {config.max_training_jobs} training jobs, {config.max_parallel_training_jobs} in parallel, "
        f"on {config.instance_count} x {config.instance_type}; worst case {config.worst_case_gpu_hours:g} GPU hours."
    )
    if args.dry_run:
        print("Execution input (not started, --dry-run):")
        print(json.dumps(execution_input, indent=2, sort_keys=True))
        return 0

    name = build_execution_name(dataset, version, now)
    execution = context.client("stepfunctions").start_execution(
        stateMachineArn=outputs.state_machine_arn, name=name, input=json.dumps(execution_input)
    )
    arn = execution["executionArn"]
    print(f"Started execution {name}")
    print(f"  ARN:     {arn}")
    print(f"  Console: {console_execution_url(arn)}")
    print(f"Follow it with: ntm-tune watch {name} --stack {args.stack}")
    return 0


def read_base_config(context, config_path: str | None) -> dict[str, object]:
    """Return the configuration to validate against: a local file, or the one the stack deployed.

    The deployed configuration is the `TUNING_CONFIG` environment variable of the
    function that the state machine's first state invokes.
    """
    from pathlib import Path

    from ntm_spec.config_file import read_config_file

    if config_path is not None:
        return read_config_file(Path(config_path))

    definition = json.loads(
        context.client("stepfunctions").describe_state_machine(stateMachineArn=context.outputs.state_machine_arn)[
            "definition"
        ]
    )
    function_name = validate_function_name(definition)
    if function_name is None:
        raise UsageError(
            f"the state machine of stack {context.stack_name} has no {VALIDATE_STATE!r} Lambda state, so its "
            "configuration cannot be read. Deploy the current stack with `npx cdk deploy`, or pass --config FILE"
        )
    environment = context.client("lambda").get_function_configuration(FunctionName=function_name)
    variables = (environment.get("Environment") or {}).get("Variables") or {}
    if "TUNING_CONFIG" not in variables:
        raise UsageError(
            f"the function {function_name} has no TUNING_CONFIG variable. "
            "Deploy the current stack with `npx cdk deploy`, or pass --config FILE"
        )
    return json.loads(variables["TUNING_CONFIG"])


def validate_function_name(definition: dict) -> str | None:
    """Return the function that the first state invokes, from a state machine definition.

    A LambdaInvoke state names its function in `Resource` when it returns only the payload
    (the stack's form), and in `Parameters.FunctionName` when it uses `lambda:invoke`.
    """
    state = definition.get("States", {}).get(VALIDATE_STATE, {})
    function_name = state.get("Parameters", {}).get("FunctionName")
    if function_name:
        return str(function_name)
    resource = str(state.get("Resource", ""))
    if resource.startswith("arn:") and ":lambda:" in resource and ":function:" in resource:
        return resource
    return None


def check_assignments(assignments: list[str]) -> None:
    """Raise UsageError for a `--set` that is not KEY=VALUE or names a setting that cannot change per run."""
    from ntm_spec.ranges import closest_match
    from ntm_spec.runs import OVERRIDE_KEYS

    for assignment in assignments:
        key, _ = split_assignment(assignment)
        name = key.partition(".")[0]
        if name not in OVERRIDE_KEYS:
            hint = closest_match(name, OVERRIDE_KEYS)
            raise UsageError(
                f"--set {assignment!r} is invalid: {key} cannot change per run. "
                f"{hint + ' ' if hint else ''}Set one of {', '.join(OVERRIDE_KEYS)}, "
                "or change the configuration and deploy it"
            )


def split_assignment(assignment: str) -> tuple[str, str]:
    """Return the key and the value text of `KEY=VALUE`, or raise UsageError."""
    key, separator, text = assignment.partition("=")
    key = key.strip()
    if not separator or not key:
        raise UsageError(f"--set {assignment!r} is invalid: an override is KEY=VALUE, such as num_topics=30")
    return key, text.strip()


def build_overrides(assignments: list[str], base_config: dict[str, object]) -> dict[str, object]:
    """Turn `--set KEY=VALUE` into the execution input's `overrides` object.

    A run's `ranges` override replaces every range, so `ranges.NAME.KEY=VALUE` edits a
    copy of the deployed ranges. Unknown keys are passed on for `parse_trigger` to reject
    with the list of allowed keys.
    """
    import copy

    from ntm_spec.config import DEFAULTS
    from ntm_spec.config_file import parse_value

    overrides: dict[str, object] = {}
    for assignment in assignments:
        key, text = split_assignment(assignment)
        value = parse_value(text)
        head, _, rest = key.partition(".")
        if head != "ranges" or not rest:
            overrides[key] = value
            continue
        if "ranges" not in overrides:
            overrides["ranges"] = copy.deepcopy(base_config.get("ranges", DEFAULTS["ranges"]))
        node = overrides["ranges"]
        parts = rest.split(".")
        for part in parts[:-1]:
            if not isinstance(node, dict):
                raise UsageError(f"--set {assignment!r} is invalid: {key} is not inside a table")
            node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise UsageError(f"--set {assignment!r} is invalid: {key} is not inside a table")
        node[parts[-1]] = value
    return overrides


def newest_dataset_version(s3, bucket: str, dataset: str) -> str:
    """Return the version of `dataset` whose manifest.json was written last, as a scheduled run picks it."""
    from ntm_spec.dataset import DATASETS_PREFIX
    from ntm_spec.dataset_store import newest_version

    version = newest_version(s3, bucket, dataset)
    if version is None:
        prefix = f"{DATASETS_PREFIX}{dataset}/"
        raise UsageError(
            f"no version of dataset {dataset} has a manifest under s3://{bucket}/{prefix}. "
            f"Upload one with `ntm-tune prepare CORPUS --out s3://{bucket}/{prefix}VERSION/`, or pass --dataset"
        )
    return version


def read_manifest(s3, bucket: str, dataset: str, version: str):
    """Read and check the version's manifest and vocabulary as the first state does, or raise SpecError."""
    from ntm_spec.dataset_store import load_version

    return load_version(s3, bucket, dataset, version)


def build_execution_name(dataset: str, version: str, now) -> str:
    """Build `manual-DATASET-VERSION-YYYYMMDDTHHMMSSZ-XXXX`, cut to Step Functions' 80 characters.

    Dataset and version names contain only letters, digits, dots, hyphens and
    underscores, which execution names accept. The random suffix keeps two starts in the
    same second apart.
    """
    import secrets

    suffix = f"-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}"
    readable = f"manual-{dataset}-{version}"[: EXECUTION_NAME_MAX_LENGTH - len(suffix)]
    return readable + suffix
