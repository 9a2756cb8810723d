"""Hyperparameter ranges for tuning, checked against NTM and SageMaker rules.

SageMaker rules (API reference, `ScalingType`): Logarithmic scaling needs every
value above zero; ReverseLogarithmic is for continuous ranges entirely within
0 <= x < 1. A tuning job takes at most 30 ranges in total, and a categorical range
at most 30 values.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ntm_spec.errors import Problem
from ntm_spec.hyperparameters import NTM_HYPERPARAMETERS, Kind, format_value

SCALING_TYPES = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
MAX_RANGES = 30
MAX_CATEGORICAL_VALUES = 30


@dataclass(frozen=True)
class NumericRange:
    name: str
    kind: Kind  # Kind.INTEGER or Kind.CONTINUOUS
    minimum: float
    maximum: float
    scaling: str

    def to_api(self) -> dict[str, str]:
        """Return the range as SageMaker's API takes it: every bound a string."""
        if self.kind is Kind.INTEGER:
            low, high = str(int(self.minimum)), str(int(self.maximum))
        else:
            low, high = format_value(float(self.minimum)), format_value(float(self.maximum))
        return {"Name": self.name, "MinValue": low, "MaxValue": high, "ScalingType": self.scaling}


@dataclass(frozen=True)
class CategoricalRange:
    name: str
    values: tuple[str, ...]

    def to_api(self) -> dict[str, object]:
        return {"Name": self.name, "Values": list(self.values)}


ParameterRange = NumericRange | CategoricalRange


def closest_match(name: str, candidates: Iterable[str]) -> str | None:
    """Return the hint `Did you mean "NAME"?` for the closest candidate, or None when none is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1)
    return f'Did you mean "{matches[0]}"?' if matches else None


def closest_name(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """Return a hint naming the closest valid name, or listing them all."""
    return closest_match(name, candidates) or "Valid names: " + ", ".join(sorted(candidates))


def parse_ranges(raw: Mapping[str, object], key_prefix: str = "ranges") -> tuple[list[ParameterRange], list[Problem]]:
    """Turn the `[ranges.NAME]` tables into validated ranges, collecting every problem."""
    ranges: list[ParameterRange] = []
    problems: list[Problem] = []
    tunable = [name for name, spec in NTM_HYPERPARAMETERS.items() if spec.kind is not Kind.LAYERS]

    for name, table in raw.items():
        key = f"{key_prefix}.{name}"
        spec = NTM_HYPERPARAMETERS.get(name)
        if spec is None:
            problems.append(Problem(key, name, "NTM has no hyperparameter of that name", closest_name(name, tunable)))
            continue
        if spec.required or spec.kind in (Kind.LAYERS, Kind.BOOLEAN):
            problems.append(
                Problem(
                    key,
                    name,
                    f"{name} cannot be tuned by this stack",
                    "Set it under [static_hyperparameters] instead",
                )
            )
            continue
        if not isinstance(table, Mapping):
            problems.append(
                Problem(
                    key,
                    table,
                    "a range is a table",
                    "Write it as {min = ..., max = ...} or {values = [...]}",
                )
            )
            continue
        if spec.kind is Kind.CATEGORICAL:
            parsed, found = _categorical(key, name, table, spec.values)
        else:
            parsed, found = _numeric(key, name, spec.kind, table)
        problems.extend(found)
        if parsed is not None:
            ranges.append(parsed)

    if len(ranges) > MAX_RANGES:
        problems.append(
            Problem(
                key_prefix,
                len(ranges),
                f"a tuning job takes at most {MAX_RANGES} ranges",
                "Remove ranges or make some hyperparameters static",
            )
        )
    return ranges, problems


def _categorical(
    key: str, name: str, table: Mapping[str, object], allowed: tuple[str, ...]
) -> tuple[CategoricalRange | None, list[Problem]]:
    unknown = sorted(set(table) - {"values"})
    if unknown:
        return None, [
            Problem(
                f"{key}.{extra}",
                table[extra],
                "a categorical range has only the key values",
                closest_name(extra, ["values"]),
            )
            for extra in unknown
        ]
    values = table.get("values")
    if not isinstance(values, list) or not values:
        return None, [
            Problem(
                f"{key}.values",
                values,
                "a categorical range needs a non-empty list",
                f"Choose from {', '.join(allowed)}",
            )
        ]
    problems = []
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            problems.append(
                Problem(
                    f"{key}.values",
                    value,
                    f"{name} takes only {', '.join(allowed)}",
                    "Remove or correct that value",
                )
            )
    if len(set(values)) != len(values):
        problems.append(Problem(f"{key}.values", values, "values repeat", "List each value once"))
    if len(values) > MAX_CATEGORICAL_VALUES:
        problems.append(
            Problem(
                f"{key}.values",
                len(values),
                f"a categorical range takes at most {MAX_CATEGORICAL_VALUES} values",
                "Remove values",
            )
        )
    if problems:
        return None, problems
    return CategoricalRange(name, tuple(values)), []


def _numeric(key: str, name: str, kind: Kind, table: Mapping[str, object]) -> tuple[NumericRange | None, list[Problem]]:
    spec = NTM_HYPERPARAMETERS[name]
    unknown = sorted(set(table) - {"min", "max", "scaling"})
    if unknown:
        return None, [
            Problem(
                f"{key}.{extra}",
                table[extra],
                "a numeric range has only the keys min, max and scaling",
                closest_name(extra, ["min", "max", "scaling"]),
            )
            for extra in unknown
        ]

    problems: list[Problem] = []
    bounds: dict[str, float] = {}
    for bound in ("min", "max"):
        value = table.get(bound)
        bound_key = f"{key}.{bound}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(
                Problem(
                    bound_key,
                    value,
                    "a range bound must be a number",
                    f"Write {name}'s {bound} as a number",
                )
            )
            continue
        if not math.isfinite(value):
            problems.append(Problem(bound_key, value, "a range bound must be finite", "Use a finite number"))
            continue
        if kind is Kind.INTEGER and not float(value).is_integer():
            problems.append(Problem(bound_key, value, f"{name} is an integer hyperparameter", "Use a whole number"))
            continue
        if value < spec.minimum or value > spec.maximum:
            problems.append(
                Problem(
                    bound_key,
                    value,
                    f"NTM accepts {name} only as {spec.allowed()}",
                    "Move the bound inside that interval",
                )
            )
            continue
        bounds[bound] = value
    if problems:
        return None, problems

    low, high = bounds["min"], bounds["max"]
    if low >= high:
        return None, [
            Problem(
                key,
                {"min": low, "max": high},
                "min must be below max",
                "Swap the bounds or widen the range; a single value belongs under [static_hyperparameters]",
            )
        ]

    scaling = table.get("scaling", "Auto")
    if scaling not in SCALING_TYPES:
        return None, [
            Problem(
                f"{key}.scaling",
                scaling,
                "unknown scaling type",
                "Use one of " + ", ".join(SCALING_TYPES),
            )
        ]
    if scaling == "Logarithmic" and low <= 0:
        return None, [
            Problem(
                f"{key}.scaling",
                scaling,
                f"Logarithmic scaling needs every value above zero, but min is {low:g}",
                "Use Linear or Auto, or raise min above zero",
            )
        ]
    if scaling == "ReverseLogarithmic":
        if kind is Kind.INTEGER:
            return None, [
                Problem(
                    f"{key}.scaling",
                    scaling,
                    "ReverseLogarithmic scaling is for continuous ranges only",
                    "Use Linear, Logarithmic or Auto",
                )
            ]
        if low < 0 or high >= 1:
            return None, [
                Problem(
                    f"{key}.scaling",
                    scaling,
                    f"ReverseLogarithmic scaling needs 0 <= x < 1, but the range is {low:g} to {high:g}",
                    "Use Linear or Auto, or keep max below 1",
                )
            ]
    return NumericRange(name, kind, low, high, scaling), []


def ranges_to_api(ranges: list[ParameterRange]) -> dict[str, list[dict[str, object]]]:
    """Group ranges into SageMaker's `ParameterRanges` structure, sorted by name."""
    grouped: dict[str, list[dict[str, object]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    for parameter_range in sorted(ranges, key=lambda item: item.name):
        if isinstance(parameter_range, CategoricalRange):
            grouped["CategoricalParameterRanges"].append(parameter_range.to_api())
        elif parameter_range.kind is Kind.INTEGER:
            grouped["IntegerParameterRanges"].append(parameter_range.to_api())
        else:
            grouped["ContinuousParameterRanges"].append(parameter_range.to_api())
    return grouped
