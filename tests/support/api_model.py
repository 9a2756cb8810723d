"""Validate a request against botocore's model of the SageMaker API, strictly.

botocore's own `validate_parameters` checks types, required members and minimum
lengths. This adds maximum lengths, enums, numeric ranges and patterns, which
SageMaker enforces on the server, so that an invalid request fails here first.
"""

from __future__ import annotations

from functools import cache

import botocore.session
import regex  # SageMaker's patterns use \p{...} classes, which the standard re lacks
from botocore.exceptions import ParamValidationError
from botocore.model import OperationModel, Shape
from botocore.validate import validate_parameters


@cache
def sagemaker_operation(name: str) -> OperationModel:
    return botocore.session.get_session().get_service_model("sagemaker").operation_model(name)


def validate_request(operation: str, params: dict) -> list[str]:
    """Return every problem as `member.path: message`; an empty list means valid."""
    input_shape = sagemaker_operation(operation).input_shape
    problems: list[str] = []
    try:
        validate_parameters(params, input_shape)
    except ParamValidationError as error:
        problems.append(str(error))
    _check(input_shape, params, operation, problems)
    return problems


def _check(shape: Shape, value: object, path: str, problems: list[str]) -> None:
    metadata = shape.metadata
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                _check(shape.members[name], item, f"{path}.{name}", problems)
        return
    if shape.type_name == "list" and isinstance(value, list):
        _check_length(metadata, len(value), path, problems)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", problems)
        return
    if shape.type_name == "map" and isinstance(value, dict):
        _check_length(metadata, len(value), path, problems)
        for key, item in value.items():
            _check(shape.key, key, f"{path} key {key!r}", problems)
            _check(shape.value, item, f"{path}[{key!r}]", problems)
        return
    if shape.type_name == "string" and isinstance(value, str):
        _check_length(metadata, len(value), path, problems)
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
        pattern = metadata.get("pattern")
        if pattern and not regex.fullmatch(pattern, value, flags=regex.DOTALL):
            problems.append(f"{path}: {value!r} does not match the pattern {pattern}")
        return
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "min" in metadata and value < metadata["min"]:
            problems.append(f"{path}: {value} is below the minimum {metadata['min']}")
        if "max" in metadata and value > metadata["max"]:
            problems.append(f"{path}: {value} is above the maximum {metadata['max']}")


def _check_length(metadata: dict, length: int, path: str, problems: list[str]) -> None:
    if "min" in metadata and length < metadata["min"]:
        problems.append(f"{path}: length {length} is below the minimum {metadata['min']}")
    if "max" in metadata and length > metadata["max"]:
        problems.append(f"{path}: length {length} is above the maximum {metadata['max']}")
