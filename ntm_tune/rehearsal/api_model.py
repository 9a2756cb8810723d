"""Check SageMaker requests and responses against botocore's model of the API.

botocore's own `validate_parameters` checks types, required members, unknown
members and minimum lengths and values. SageMaker also enforces, on the server,
the maximum lengths, enums, numeric maximums and patterns of the same model.
This module adds those checks, so a request that SageMaker would reject fails
the rehearsal with a message that names the member path.
"""

from __future__ import annotations

from functools import cache

import botocore.session
import regex
from botocore.exceptions import ParamValidationError
from botocore.model import Shape, StructureShape
from botocore.validate import validate_parameters

from ntm_spec.names import TUNING_JOB_NAME_PATTERN

_NUMBER_TYPES = ("integer", "long", "float", "double")
# An enum longer than this (such as the 225 instance types) is named, not listed.
_MAX_LISTED_VALUES = 12


@cache
def _service_model():
    return botocore.session.get_session().get_service_model("sagemaker")


def input_shape(operation: str) -> StructureShape:
    return _service_model().operation_model(operation).input_shape


def output_shape(operation: str) -> StructureShape:
    return _service_model().operation_model(operation).output_shape


def request_problems(operation: str, params: dict) -> list[str]:
    """Return every problem of a request as `member.path: message`. An empty list means valid."""
    problems = check_shape(input_shape(operation), params)
    if operation == "CreateHyperParameterTuningJob":
        problems += tuning_job_name_problems(params.get("HyperParameterTuningJobName"))
    return problems


def response_problems(operation: str, response: dict) -> list[str]:
    """Return every way `response` differs from what the API model allows."""
    return check_shape(output_shape(operation), response)


def tuning_job_name_problems(name: object) -> list[str]:
    if isinstance(name, str) and TUNING_JOB_NAME_PATTERN.fullmatch(name):
        return []
    return [
        f"HyperParameterTuningJobName: {name!r} does not match {TUNING_JOB_NAME_PATTERN.pattern} "
        "(1 to 32 letters, digits and hyphens, starting and ending with a letter or digit)"
    ]


def check_shape(shape: StructureShape, value: dict) -> list[str]:
    problems: list[str] = []
    try:
        validate_parameters(value, shape)
    except ParamValidationError as error:
        # The report's first line is a header, and each following line names one member.
        report = str(error.kwargs.get("report", ""))
        problems += [line.strip() for line in report.splitlines() if line.strip()]
    _check_constraints(shape, value, "", problems)
    return problems


def _check_constraints(shape: Shape, value: object, path: str, problems: list[str]) -> None:
    """Add the constraints that botocore's validator leaves to the server."""
    metadata = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:  # type: ignore[attr-defined]
                member_path = f"{path}.{name}" if path else name
                _check_constraints(shape.members[name], item, member_path, problems)  # type: ignore[attr-defined]
    elif kind == "list" and isinstance(value, list):
        _check_size(metadata, len(value), path, "items", problems)
        for index, item in enumerate(value):
            _check_constraints(shape.member, item, f"{path}[{index}]", problems)  # type: ignore[attr-defined]
    elif kind == "map" and isinstance(value, dict):
        _check_size(metadata, len(value), path, "entries", problems)
        for key, item in value.items():
            _check_constraints(shape.key, key, f"{path} (key {key!r})", problems)  # type: ignore[attr-defined]
            _check_constraints(shape.value, item, f"{path}.{key}", problems)  # type: ignore[attr-defined]
    elif kind == "string" and isinstance(value, str):
        _check_size(metadata, len(value), path, "characters", problems)
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {_enum_text(shape)}")
        pattern = metadata.get("pattern")
        if pattern and not _compiled_pattern(pattern).fullmatch(value):
            problems.append(f"{path}: {value!r} does not match the pattern {pattern}")
    elif _is_number(value) and kind in _NUMBER_TYPES and "max" in metadata and value > metadata["max"]:
        problems.append(f"{path}: {value} is above the maximum {metadata['max']}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _enum_text(shape: Shape) -> str:
    if len(shape.enum) <= _MAX_LISTED_VALUES:
        return ", ".join(shape.enum)
    return f"the {len(shape.enum)} values of {shape.name} in botocore's model"


def _check_size(metadata: dict, size: int, path: str, unit: str, problems: list[str]) -> None:
    # botocore already reports sizes below "min".
    if "max" in metadata and size > metadata["max"]:
        problems.append(f"{path}: {size} {unit}, above the maximum {metadata['max']}")


@cache
def _compiled_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile a model pattern. The model writes Java regexes, which SageMaker matches whole.

    The `regex` engine is used because some patterns use `\\p{L}`-style Unicode
    classes, which the standard `re` module lacks.
    """
    return regex.compile(pattern, flags=regex.DOTALL)
