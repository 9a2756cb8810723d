"""The tuning configuration: loading, defaults and every cross-field rule.

A configuration is a nested mapping (read from TOML by `app.py` and `ntm-tune`,
or from JSON in a Lambda function). `load_config` checks all of it and raises one
SpecError listing every problem, so the user can fix them in one pass.
"""

from __future__ import annotations

import copy
import math
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

from ntm_spec.dataset import NAME_PATTERN
from ntm_spec.errors import Problem, SpecError
from ntm_spec.hyperparameters import (
    NTM_HYPERPARAMETERS,
    OBJECTIVE_METRIC,
    OBJECTIVE_TYPE,
    RECOMMENDED_RANGES,
    Kind,
    format_value,
)
from ntm_spec.instances import (
    DEFAULT_INSTANCE_TYPE,
    GPUS_PER_INSTANCE,
    NTM_GPU_INSTANCE_TYPES,
    is_cpu_instance_type,
)
from ntm_spec.names import prefix_problems
from ntm_spec.ranges import CategoricalRange, ParameterRange, closest_name, parse_ranges
from ntm_spec.schedule import schedule_expression_problem

STRATEGIES = ("Bayesian", "Random", "Hyperband", "Grid")
CHANNEL_NAMES = ("train", "validation", "test", "auxiliary")
DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
# Managed spot training without checkpoints may wait at most one hour, and NTM
# cannot checkpoint (SageMaker Developer Guide, "Managed Spot Training").
SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS = 3600
# SageMaker's limit for a training job's MaxRuntimeInSeconds: 28 days.
MAX_TRAINING_RUNTIME_SECONDS = 28 * 24 * 3600

RUN_TIMEOUT_MARGIN_SECONDS = 2 * 3600
# Cost-allocation tag limits of AWS resource tagging; keys starting with `aws:` are reserved for AWS.
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
RESERVED_TAG_PREFIX = "aws:"

DEFAULTS: dict[str, object] = {
    "stage": "dev",
    "job_name_prefix": "ntm-dev",
    "dataset": {"name": "corpus"},
    "training": {
        "instance_type": DEFAULT_INSTANCE_TYPE,
        "instance_count": 1,
        "allow_cpu": False,
        "volume_size_gb": 30,
        "max_runtime_seconds": 3600,
        "spot": {"enabled": False, "max_wait_seconds": 3600},
    },
    "tuning": {
        "strategy": "Bayesian",
        "max_training_jobs": 20,
        "max_parallel_training_jobs": 2,
        "early_stopping": "Off",
        "hyperband": {},
        "completion": {},
    },
    "objective": {"metric": OBJECTIVE_METRIC, "type": OBJECTIVE_TYPE},
    "ranges": RECOMMENDED_RANGES,
    "static_hyperparameters": {"num_topics": 20, "epochs": 50},
    "channels": {
        "train": {"distribution": "ShardedByS3Key"},
        "validation": {"distribution": "FullyReplicated"},
        "auxiliary": {"distribution": "FullyReplicated"},
    },
    "budget": {"max_gpu_hours_per_run": 40.0},
    "schedule": {},
    "notifications": {},
    "tags": {},
    "security": {"kms_key_arn": "", "vpc_subnet_ids": [], "vpc_security_group_ids": []},
}


# The keys of each table whose keys are fixed, by dotted path ("" is the top level). A key
# outside them is most likely misspelt, and ignoring it would run with a default instead.
# The other tables (ranges, static_hyperparameters, channels, tags, schedule and
# tuning.hyperband and completion) take names of their own, which their own checks validate.
FIXED_TABLE_KEYS: dict[str, frozenset[str]] = {
    "": frozenset(DEFAULTS),
    "dataset": frozenset(DEFAULTS["dataset"]),  # type: ignore[arg-type]
    "training": frozenset(DEFAULTS["training"]),  # type: ignore[arg-type]
    "training.spot": frozenset(DEFAULTS["training"]["spot"]),  # type: ignore[index]
    "tuning": frozenset(DEFAULTS["tuning"]) | {"random_seed"},  # type: ignore[arg-type]
    "objective": frozenset(DEFAULTS["objective"]),  # type: ignore[arg-type]
    "budget": frozenset(DEFAULTS["budget"]),  # type: ignore[arg-type]
    "notifications": frozenset({"email"}),
    "security": frozenset(DEFAULTS["security"]),  # type: ignore[arg-type]
}


@dataclass(frozen=True)
class Channel:
    name: str
    distribution: str


@dataclass(frozen=True)
class TuningConfig:
    """A validated configuration; build one with `load_config`."""

    stage: str
    job_name_prefix: str
    dataset_name: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_runtime_seconds: int
    spot_enabled: bool
    spot_max_wait_seconds: int
    strategy: str
    max_training_jobs: int
    max_parallel_training_jobs: int
    early_stopping: str
    random_seed: int | None
    hyperband: dict[str, int]
    completion: dict[str, object]
    ranges: tuple[ParameterRange, ...]
    static_hyperparameters: dict[str, str]
    channels: tuple[Channel, ...]
    max_gpu_hours_per_run: float
    schedule: dict[str, object]
    notification_email: str
    kms_key_arn: str
    vpc_subnet_ids: tuple[str, ...]
    vpc_security_group_ids: tuple[str, ...]
    # Cost-allocation tags for every resource of the stack.
    tags: dict[str, str]
    raw: dict[str, object] = field(repr=False, compare=False)

    @property
    def gpus_per_instance(self) -> int:
        return gpu_count(self.instance_type)

    @property
    def worst_case_gpu_hours(self) -> float:
        return worst_case_gpu_hours(
            self.max_training_jobs, self.instance_count, self.instance_type, self.max_runtime_seconds
        )

    @property
    def run_timeout_seconds(self) -> int:
        """Upper bound on one run's duration; the state machine's timeout and the lock's lifetime.

        The budget bounds every valid run, overrides included: the jobs of one
        run cannot take longer, one after another, than the budget's GPU hours
        per GPU of a job. Two hours more cover instance start-up and create retries.
        """
        per_job = max(self.max_runtime_seconds, self.spot_max_wait_seconds if self.spot_enabled else 0)
        gpus_per_job = self.instance_count * self.gpus_per_instance
        sequential = self.max_gpu_hours_per_run * 3600 / gpus_per_job * per_job / self.max_runtime_seconds
        return math.ceil(sequential) + RUN_TIMEOUT_MARGIN_SECONDS

    @property
    def schedule_datasets(self) -> tuple[str, ...]:
        return tuple(self.schedule.get("datasets") or (self.dataset_name,)) if self.schedule else ()

    @property
    def uses_gpu(self) -> bool:
        return not is_cpu_instance_type(self.instance_type)


def gpu_count(instance_type: str) -> int:
    """Return the GPUs of one instance; 1 for a type missing from the table, so budgets stay checked."""
    return GPUS_PER_INSTANCE.get(instance_type, 1)


def worst_case_gpu_hours(max_jobs: int, instance_count: int, instance_type: str, max_runtime_seconds: int) -> float:
    """Return the GPU hours of a run whose every training job uses all its GPUs for its whole runtime."""
    return max_jobs * instance_count * gpu_count(instance_type) * max_runtime_seconds / 3600


def merge(
    base: Mapping[str, object], override: Mapping[str, object], *, replace_ranges: bool = True
) -> dict[str, object]:
    """Deep-merge `override` into a copy of `base`; tables merge, other values replace.

    With `replace_ranges` (a configuration file over the defaults), `ranges` is
    replaced whole, so that a user's file lists exactly the ranges it tunes and
    removing a range means leaving it out. Without it (one `KEY=VALUE` override),
    `ranges` merges like any other table.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        replace = replace_ranges and key == "ranges"
        if not replace and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value, replace_ranges=False)  # type: ignore[arg-type]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(raw: Mapping[str, object]) -> TuningConfig:
    """Validate `raw` merged over DEFAULTS; raise SpecError with every problem found."""
    data = merge(DEFAULTS, raw)
    reader = _Reader(data)

    stage = reader.string("stage", pattern_hint="letters, digits and hyphens")
    prefix = reader.string("job_name_prefix")
    reader.problems.extend(prefix_problems(prefix))
    dataset_name = reader.string("dataset.name")

    instance_type = reader.string("training.instance_type")
    allow_cpu = reader.boolean("training.allow_cpu")
    instance_count = reader.integer("training.instance_count", 1, 100)
    volume_size_gb = reader.integer("training.volume_size_gb", 1, 16384)
    max_runtime = reader.integer("training.max_runtime_seconds", 1, MAX_TRAINING_RUNTIME_SECONDS)
    spot_enabled = reader.boolean("training.spot.enabled")
    spot_max_wait = reader.integer("training.spot.max_wait_seconds", 1, MAX_TRAINING_RUNTIME_SECONDS)

    strategy = reader.choice("tuning.strategy", STRATEGIES)
    max_jobs = reader.integer("tuning.max_training_jobs", 1, 750)
    max_parallel = reader.integer("tuning.max_parallel_training_jobs", 1, 100)
    early_stopping = reader.choice("tuning.early_stopping", ("Off", "Auto"))
    random_seed = reader.optional_integer("tuning.random_seed", 0, 2**31 - 1)
    hyperband = reader.table("tuning.hyperband")
    completion = reader.table("tuning.completion")

    objective_metric = reader.string("objective.metric")
    objective_type = reader.string("objective.type")
    raw_ranges = reader.table("ranges")
    raw_static = reader.table("static_hyperparameters")
    raw_channels = reader.table("channels")
    budget = reader.number("budget.max_gpu_hours_per_run", 0.0, math.inf)
    schedule = reader.table("schedule")
    notification_email = reader.optional_string("notifications.email")
    kms_key_arn = reader.optional_string("security.kms_key_arn")
    subnets = reader.string_list("security.vpc_subnet_ids")
    security_groups = reader.string_list("security.vpc_security_group_ids")
    tags = _tags(reader.table("tags"), reader.problems)
    problems = reader.problems
    problems.extend(_unknown_keys(data))

    ranges, range_problems = parse_ranges(raw_ranges)
    problems.extend(range_problems)
    static = _static_hyperparameters(raw_static, ranges, problems)
    channels = _channels(raw_channels, problems)

    _check_instance(instance_type, allow_cpu, problems)
    _check_objective(objective_metric, objective_type, set(raw_channels), problems)
    _check_strategy(strategy, early_stopping, ranges, hyperband, problems)
    _check_completion(completion, problems)
    _check_schedule(schedule, problems)
    if dataset_name and not NAME_PATTERN.match(dataset_name):
        problems.append(
            Problem(
                "dataset.name",
                dataset_name,
                "a dataset name is 1 to 64 letters, digits, dots, hyphens and underscores",
                "Use the NAME part of datasets/NAME/VERSION/",
            )
        )
    jobs_valid = reader.valid("tuning.max_training_jobs", "tuning.max_parallel_training_jobs")
    if jobs_valid and max_parallel > max_jobs:
        problems.append(
            Problem(
                "tuning.max_parallel_training_jobs",
                max_parallel,
                f"it exceeds tuning.max_training_jobs ({max_jobs})",
                f"Set it to at most {max_jobs}",
            )
        )
    if spot_enabled and reader.valid("training.max_runtime_seconds", "training.spot.max_wait_seconds"):
        _check_spot(max_runtime, spot_max_wait, problems)
    if bool(subnets) != bool(security_groups):
        problems.append(
            Problem(
                "security.vpc_subnet_ids",
                list(subnets),
                "a VPC configuration needs both subnets and security groups",
                "Set both security.vpc_subnet_ids and security.vpc_security_group_ids, or neither",
            )
        )

    budget_inputs = (
        "tuning.max_training_jobs",
        "training.instance_count",
        "training.instance_type",
        "training.max_runtime_seconds",
        "budget.max_gpu_hours_per_run",
    )
    if reader.valid(*budget_inputs):
        worst_case = worst_case_gpu_hours(max_jobs, instance_count, instance_type, max_runtime)
        # A CPU instance has no GPU; its hours count against the budget one for one.
        unit = "instance hours" if is_cpu_instance_type(instance_type) else "GPU hours"
        per_instance = "" if is_cpu_instance_type(instance_type) else f"{gpu_count(instance_type)} GPU(s) per "
        if worst_case > budget:
            problems.append(
                Problem(
                    "budget.max_gpu_hours_per_run",
                    budget,
                    f"the worst case is {worst_case:g} {unit} (tuning.max_training_jobs "
                    f"{max_jobs} x training.instance_count {instance_count} x {per_instance}{instance_type} "
                    f"x training.max_runtime_seconds {max_runtime} / 3600)",
                    "Raise the budget, or lower max_training_jobs, instance_count or max_runtime_seconds",
                )
            )

    if problems:
        raise SpecError(problems)

    return TuningConfig(
        stage=stage,
        job_name_prefix=prefix,
        dataset_name=dataset_name,
        instance_type=instance_type,
        instance_count=instance_count,
        volume_size_gb=volume_size_gb,
        max_runtime_seconds=max_runtime,
        spot_enabled=spot_enabled,
        spot_max_wait_seconds=spot_max_wait,
        strategy=strategy,
        max_training_jobs=max_jobs,
        max_parallel_training_jobs=max_parallel,
        early_stopping=early_stopping,
        random_seed=random_seed,
        hyperband=dict(hyperband),
        completion=dict(completion),
        ranges=tuple(ranges),
        static_hyperparameters=static,
        channels=tuple(channels),
        max_gpu_hours_per_run=budget,
        schedule=dict(schedule),
        notification_email=notification_email,
        kms_key_arn=kms_key_arn,
        vpc_subnet_ids=tuple(subnets),
        vpc_security_group_ids=tuple(security_groups),
        tags=tags,
        raw=data,
    )


class _Reader:
    """Read typed values by dotted key, recording a Problem instead of raising."""

    def __init__(self, data: Mapping[str, object]):
        self.data = data
        self.problems: list[Problem] = []

    def valid(self, *keys: str) -> bool:
        """Return whether no problem was recorded for any of `keys` (or a key below one of them)."""
        return not any(
            problem.key == key or problem.key.startswith(key + ".") for problem in self.problems for key in keys
        )

    def get(self, key: str) -> object:
        node: object = self.data
        for part in key.split("."):
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    def string(self, key: str, pattern_hint: str = "") -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value:
            hint = f" of {pattern_hint}" if pattern_hint else ""
            self.problems.append(Problem(key, value, "a non-empty string is required", f"Set {key} to a string{hint}"))
            return ""
        return value

    def optional_string(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problems.append(Problem(key, value, "a string is required", f"Quote the value of {key}"))
            return ""
        return value

    def boolean(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            self.problems.append(Problem(key, value, "true or false is required", f"Set {key} = true or false"))
            return False
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problems.append(
                Problem(
                    key,
                    value,
                    f"an integer from {low} to {high} is required",
                    f"Set {key} inside that interval",
                )
            )
            return low
        return value

    def optional_integer(self, key: str, low: int, high: int) -> int | None:
        if self.get(key) is None:
            return None
        return self.integer(key, low, high)

    def number(self, key: str, low: float, high: float) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.problems.append(
                Problem(key, value, f"a number from {low:g} is required", f"Set {key} to such a number")
            )
            return low
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.get(key)
        if value not in choices:
            self.problems.append(Problem(key, value, "unknown value", "Use one of " + ", ".join(choices)))
            return choices[0]
        return value  # type: ignore[return-value]

    def table(self, key: str) -> Mapping[str, object]:
        value = self.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problems.append(Problem(key, value, "a table is required", f"Write [{key}] as a TOML table"))
            return {}
        return value

    def string_list(self, key: str) -> list[str]:
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            self.problems.append(Problem(key, value, "a list of strings is required", f'Write {key} = ["..."]'))
            return []
        return value


def _tags(raw: Mapping[str, object], problems: list[Problem]) -> dict[str, str]:
    """Return the `[tags]` table as strings, adding a Problem for each key or value that AWS would reject."""
    tags: dict[str, str] = {}
    for key, value in raw.items():
        if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH:
            problems.append(
                Problem(
                    f"tags.{key}",
                    key,
                    f"a tag key is 1 to {TAG_KEY_MAX_LENGTH} characters long",
                    "Shorten the key",
                )
            )
        elif key.lower().startswith(RESERVED_TAG_PREFIX):
            problems.append(
                Problem(
                    f"tags.{key}",
                    key,
                    f"tag keys starting with {RESERVED_TAG_PREFIX!r} are reserved for AWS",
                    "Choose a key without that prefix",
                )
            )
        elif not isinstance(value, str):
            problems.append(Problem(f"tags.{key}", value, "a tag value is a string", f'Quote the value: "{value}"'))
        elif len(value) > TAG_VALUE_MAX_LENGTH:
            problems.append(
                Problem(
                    f"tags.{key}",
                    value,
                    f"a tag value is at most {TAG_VALUE_MAX_LENGTH} characters long",
                    "Shorten the value",
                )
            )
        else:
            tags[key] = value
    return tags


def _static_hyperparameters(
    raw: Mapping[str, object], ranges: list[ParameterRange], problems: list[Problem]
) -> dict[str, str]:
    tuned = {parameter_range.name for parameter_range in ranges}
    static: dict[str, str] = {}
    for name, value in raw.items():
        key = f"static_hyperparameters.{name}"
        spec = NTM_HYPERPARAMETERS.get(name)
        if spec is None:
            problems.append(
                Problem(
                    key,
                    name,
                    "NTM has no hyperparameter of that name",
                    closest_name(name, list(NTM_HYPERPARAMETERS)),
                )
            )
            continue
        if name == "feature_dim":
            problems.append(
                Problem(
                    key,
                    value,
                    "feature_dim is the vocabulary size and comes from the dataset manifest",
                    "Remove it from the configuration",
                )
            )
            continue
        if name in tuned:
            problems.append(
                Problem(
                    key,
                    value,
                    f"{name} is also tuned under [ranges.{name}]; a hyperparameter is static or tuned, never both",
                    "Remove one of the two",
                )
            )
            continue
        problem = check_static_value(name, value, key)
        if problem:
            problems.append(problem)
            continue
        static[name] = format_value(value)
    if "num_topics" not in raw:
        problems.append(
            Problem(
                "static_hyperparameters.num_topics",
                None,
                "NTM requires num_topics",
                "Set num_topics to an integer from 2 to 1000",
            )
        )
    return static


def check_static_value(name: str, value: object, key: str) -> Problem | None:
    """Check one static hyperparameter value against NTM's rules."""
    spec = NTM_HYPERPARAMETERS[name]
    if spec.kind is Kind.BOOLEAN:
        if isinstance(value, bool) or value in ("true", "false"):
            return None
        return Problem(
            key,
            value,
            f"{name} takes {spec.allowed()}",
            f"Write {name} = true or false without quotes",
        )
    if spec.kind is Kind.CATEGORICAL:
        if value in spec.values:
            return None
        return Problem(
            key,
            value,
            f"{name} takes {spec.allowed()}",
            "Write one of them as a plain string, without extra quotes",
        )
    if spec.kind is Kind.LAYERS:
        if value == "auto" or _is_layer_list(value):
            return None
        return Problem(key, value, f"{name} takes {spec.allowed()}", 'Write for example [100, 50] or "auto"')
    number = value
    if isinstance(value, str):
        try:
            number = int(value) if spec.kind is Kind.INTEGER else float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return Problem(key, value, f"{name} takes {spec.allowed()}", "Write the number without quotes")
    if spec.kind is Kind.INTEGER and not float(number).is_integer():
        return Problem(key, value, f"{name} takes {spec.allowed()}", "Use a whole number")
    if not spec.minimum <= number <= spec.maximum:
        return Problem(key, value, f"{name} takes {spec.allowed()}", "Choose a value inside that interval")
    return None


def _is_layer_list(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in value)
    if isinstance(value, str):
        parts = value.split(",")
        return all(part.strip().isdigit() and int(part) > 0 for part in parts)
    return False


def _unknown_keys(data: Mapping[str, object]) -> list[Problem]:
    """Return a problem for each key of a fixed table that the configuration does not define."""
    problems = []
    for path, known in FIXED_TABLE_KEYS.items():
        table: object = data
        for part in path.split(".") if path else []:
            table = table.get(part) if isinstance(table, Mapping) else None
        if not isinstance(table, Mapping):
            continue
        for name in sorted(set(table) - known):
            key = f"{path}.{name}" if path else name
            kind = "key" if path else "section or key"
            problems.append(
                Problem(
                    key,
                    table[name],
                    f"the configuration has no {kind} of that name, so the value would be ignored",
                    closest_name(name, sorted(known)),
                )
            )
    return problems


def _channels(raw: Mapping[str, object], problems: list[Problem]) -> list[Channel]:
    channels = []
    for name, table in raw.items():
        key = f"channels.{name}"
        if name not in CHANNEL_NAMES:
            problems.append(
                Problem(
                    key,
                    name,
                    "NTM reads only the channels " + ", ".join(CHANNEL_NAMES),
                    closest_name(name, CHANNEL_NAMES),
                )
            )
            continue
        if isinstance(table, Mapping):
            for setting in sorted(set(table) - {"distribution"}):
                problems.append(
                    Problem(
                        f"{key}.{setting}",
                        table[setting],
                        "a channel has only the setting distribution",
                        closest_name(setting, ["distribution"]),
                    )
                )
        distribution = table.get("distribution", "FullyReplicated") if isinstance(table, Mapping) else None
        if distribution not in DISTRIBUTIONS:
            problems.append(
                Problem(
                    f"{key}.distribution",
                    distribution,
                    "unknown S3 data distribution",
                    "Use FullyReplicated or ShardedByS3Key",
                )
            )
            continue
        if name != "train" and distribution != "FullyReplicated":
            problems.append(
                Problem(
                    f"{key}.distribution",
                    distribution,
                    "NTM requires optional channels to be FullyReplicated",
                    'Set distribution = "FullyReplicated"',
                )
            )
            continue
        channels.append(Channel(name, distribution))
    if "train" not in raw:
        problems.append(Problem("channels.train", None, "NTM requires a train channel", "Add [channels.train]"))
    return channels


def _check_instance(instance_type: str, allow_cpu: bool, problems: list[Problem]) -> None:
    key = "training.instance_type"
    if not instance_type:
        return
    if is_cpu_instance_type(instance_type):
        if not allow_cpu:
            problems.append(
                Problem(
                    key,
                    instance_type,
                    "this is a CPU instance type and the stack trains NTM on GPUs by default",
                    "Choose a GPU type such as ml.g4dn.xlarge, or set training.allow_cpu = true",
                )
            )
        return
    if instance_type not in NTM_GPU_INSTANCE_TYPES:
        families = sorted({name.split(".")[1] for name in NTM_GPU_INSTANCE_TYPES})
        problems.append(
            Problem(
                key,
                instance_type,
                "NTM is documented to train on the GPU families " + ", ".join(families),
                "Choose for example ml.g4dn.xlarge or ml.g5.xlarge",
            )
        )


def _check_objective(metric: str, objective_type: str, channel_names: set[str], problems: list[Problem]) -> None:
    if metric != OBJECTIVE_METRIC:
        problems.append(
            Problem(
                "objective.metric",
                metric,
                f"NTM emits only {OBJECTIVE_METRIC}",
                f'Set objective.metric = "{OBJECTIVE_METRIC}"',
            )
        )
    if objective_type != OBJECTIVE_TYPE:
        problems.append(
            Problem(
                "objective.type",
                objective_type,
                f"{OBJECTIVE_METRIC} is a loss, so tuning must minimize it",
                f'Set objective.type = "{OBJECTIVE_TYPE}"',
            )
        )
    if metric.startswith("validation:") and "validation" not in channel_names:
        problems.append(
            Problem(
                "channels.validation",
                None,
                "a validation: objective needs a validation channel",
                'Add [channels.validation] with distribution = "FullyReplicated"',
            )
        )


def _check_strategy(
    strategy: str,
    early_stopping: str,
    ranges: list[ParameterRange],
    hyperband: Mapping[str, object],
    problems: list[Problem],
) -> None:
    if strategy == "Grid":
        numeric = sorted(item.name for item in ranges if not isinstance(item, CategoricalRange))
        if numeric:
            problems.append(
                Problem(
                    "tuning.strategy",
                    strategy,
                    "Grid search takes only categorical ranges, but these are numeric: " + ", ".join(numeric),
                    "Use Bayesian or Random, or remove the numeric ranges",
                )
            )
    if strategy == "Hyperband" and early_stopping != "Off":
        problems.append(
            Problem(
                "tuning.early_stopping",
                early_stopping,
                "Hyperband has its own early stopping and needs the tuner's to be Off",
                'Set tuning.early_stopping = "Off"',
            )
        )
    if hyperband and strategy != "Hyperband":
        problems.append(
            Problem(
                "tuning.hyperband",
                dict(hyperband),
                "Hyperband settings apply only to the Hyperband strategy",
                'Remove [tuning.hyperband] or set tuning.strategy = "Hyperband"',
            )
        )
    for name in hyperband:
        value = hyperband[name]
        key = f"tuning.hyperband.{name}"
        if name not in ("min_resource", "max_resource"):
            problems.append(Problem(key, value, "unknown Hyperband setting", "Use min_resource and max_resource"))
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20000:
            problems.append(
                Problem(
                    key,
                    value,
                    "an integer from 1 to 20000 is required",
                    "Set a whole number of epochs",
                )
            )
    low, high = hyperband.get("min_resource"), hyperband.get("max_resource")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            Problem(
                "tuning.hyperband.min_resource",
                low,
                f"it exceeds max_resource ({high})",
                "Lower min_resource",
            )
        )


def _check_completion(completion: Mapping[str, object], problems: list[Problem]) -> None:
    for name, value in completion.items():
        key = f"tuning.completion.{name}"
        if name == "target_objective_value":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(
                    Problem(
                        key,
                        value,
                        "a number is required",
                        "Set the validation:total_loss at which tuning may stop",
                    )
                )
        elif name == "max_jobs_not_improving":
            if isinstance(value, bool) or not isinstance(value, int) or value < 3:
                problems.append(Problem(key, value, "SageMaker requires an integer of at least 3", "Set 3 or more"))
        elif name == "complete_on_convergence":
            if not isinstance(value, bool):
                problems.append(Problem(key, value, "true or false is required", "Set true or false"))
        else:
            problems.append(
                Problem(
                    key,
                    value,
                    "unknown completion criterion",
                    "Use target_objective_value, max_jobs_not_improving or complete_on_convergence",
                )
            )


def _check_spot(max_runtime: int, max_wait: int, problems: list[Problem]) -> None:
    if max_wait < max_runtime:
        problems.append(
            Problem(
                "training.spot.max_wait_seconds",
                max_wait,
                f"it must be at least training.max_runtime_seconds ({max_runtime})",
                f"Set it to {max_runtime} or more",
            )
        )
    if max_wait > SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS:
        problems.append(
            Problem(
                "training.spot.max_wait_seconds",
                max_wait,
                "NTM cannot save checkpoints, and SageMaker limits spot training without "
                f"checkpoints to {SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS} s",
                f"Set it to at most {SPOT_MAX_WAIT_WITHOUT_CHECKPOINTS}, or turn spot training off",
            )
        )


def _check_schedule(schedule: Mapping[str, object], problems: list[Problem]) -> None:
    if not schedule:
        return
    known = {"expression", "time_zone", "datasets"}
    for name in sorted(set(schedule) - known):
        problems.append(
            Problem(
                f"schedule.{name}", schedule[name], "unknown schedule setting", "Use expression, time_zone and datasets"
            )
        )
    expression = schedule.get("expression")
    reason = (
        schedule_expression_problem(expression)
        if isinstance(expression, str)
        else "an EventBridge Scheduler expression is cron(MIN HOUR DAY MONTH WEEKDAY YEAR) or rate(N UNIT)"
    )
    if reason:
        problems.append(
            Problem(
                "schedule.expression",
                expression,
                reason,
                'Write for example "cron(0 3 ? * MON *)" or "rate(7 days)"',
            )
        )
    time_zone = schedule.get("time_zone", "UTC")
    if not _is_time_zone(time_zone):
        problems.append(
            Problem(
                "schedule.time_zone", time_zone, "not an IANA time zone", 'Write for example "Europe/Berlin" or "UTC"'
            )
        )
    datasets = schedule.get("datasets", [])
    if not isinstance(datasets, list) or not all(
        isinstance(name, str) and NAME_PATTERN.match(name) for name in datasets
    ):
        problems.append(
            Problem(
                "schedule.datasets",
                datasets,
                "a list of dataset names is required",
                'Write for example ["news"]; leave it out to retune dataset.name',
            )
        )


def _is_time_zone(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        zoneinfo.ZoneInfo("UTC")
    except zoneinfo.ZoneInfoNotFoundError:
        # NOTE: without a time zone database (some minimal runtimes) the name
        # cannot be checked here; synth, which runs on a full system, checks it.
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
