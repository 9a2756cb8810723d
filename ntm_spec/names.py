"""Tuning job names that SageMaker accepts and IAM policies can scope.

SageMaker's `HyperParameterTuningJobName` is 1 to 32 characters matching
`[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}` and unique per account and Region, case
insensitive. The job's ARN carries the name in lower case, so names are built in
lower case to match the IAM resource `hyper-parameter-tuning-job/PREFIX-*`.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from ntm_spec.errors import Problem, SpecError

TUNING_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
TUNING_JOB_NAME_MAX_LENGTH = 32

# A run's first attempt uses the base name; a retry after a failed create call
# appends "-2" ... "-9", so the base name leaves room for two characters.
MAX_CREATE_ATTEMPTS = 5
RETRY_SUFFIX_LENGTH = 2
_STAMP_FORMAT = "%y%m%d%H%M%S"
_RANDOM_LENGTH = 4
# Four base-36 characters give 1,679,616 tokens, so two runs started in the same
# second by one stage collide with a chance of about one in 1.7 million.
_TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_PREFIX_LENGTH = TUNING_JOB_NAME_MAX_LENGTH - RETRY_SUFFIX_LENGTH - len("-") - 12 - len("-") - _RANDOM_LENGTH
PREFIX_PATTERN = re.compile(r"^[a-z](-?[a-z0-9])*$")


def prefix_problems(prefix: object, key: str = "job_name_prefix") -> list[Problem]:
    """Check a job name prefix; return the problems found (empty when valid)."""
    fix = (
        f"Use 1 to {MAX_PREFIX_LENGTH} lower-case letters, digits and single hyphens, "
        'starting with a letter, such as "ntm-dev"'
    )
    if not isinstance(prefix, str) or not PREFIX_PATTERN.match(prefix):
        rule = "a prefix must be lower-case letters, digits and single hyphens, starting with a letter"
        return [Problem(key, prefix, rule, fix)]
    if len(prefix) > MAX_PREFIX_LENGTH:
        rule = (
            f"the prefix is {len(prefix)} characters, but at most {MAX_PREFIX_LENGTH} leave room "
            "for the timestamp, random suffix and retry number within SageMaker's 32"
        )
        return [Problem(key, prefix, rule, fix)]
    return []


def check_tuning_job_name(name: object, key: str = "HyperParameterTuningJobName") -> None:
    """Raise SpecError unless `name` is a valid SageMaker tuning job name."""
    if isinstance(name, str) and TUNING_JOB_NAME_PATTERN.match(name):
        return
    rule = "a tuning job name is 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit"
    raise SpecError([Problem(key, name, rule, "Build names with ntm_spec.names.build_tuning_job_name")])


def build_tuning_job_name(prefix: str, now: datetime | None = None, token: str | None = None) -> str:
    """Build a unique base name: `PREFIX-YYMMDDHHMMSS-XXXX` in UTC, at most 30 characters."""
    problems = prefix_problems(prefix)
    if problems:
        raise SpecError(problems)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP_FORMAT)
    suffix = token if token is not None else "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_RANDOM_LENGTH))
    name = f"{prefix}-{stamp}-{suffix}".lower()
    check_tuning_job_name(name)
    return name


def retry_tuning_job_name(base_name: str, attempt: int) -> str:
    """Name for create attempt `attempt` (1-based): the base, then `BASE-2`, `BASE-3` ...

    The state machine builds the same names with `States.Format`; tests compare both.
    """
    if not 1 <= attempt <= MAX_CREATE_ATTEMPTS:
        raise ValueError(f"attempt must be 1..{MAX_CREATE_ATTEMPTS}, got {attempt}")
    name = base_name if attempt == 1 else f"{base_name}-{attempt}"
    check_tuning_job_name(name)
    return name
