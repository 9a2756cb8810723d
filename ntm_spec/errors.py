"""Validation problems that name the key, the value, the rule and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One invalid setting: `KEY: VALUE is invalid: RULE. FIX.`, or `KEY is missing: RULE. FIX.`"""

    key: str
    value: object
    rule: str
    fix: str

    def __str__(self) -> str:
        # A fix that is a question ("Did you mean ...?") keeps its own punctuation.
        fix = self.fix if self.fix.endswith(("?", ".")) else self.fix + "."
        if self.value is None:
            return f"{self.key} is missing: {self.rule}. {fix}"
        return f"{self.key}: {format_value(self.value)} is invalid: {self.rule}. {fix}"


def format_value(value: object) -> str:
    """Return a value as the message shows it: a table as a TOML inline table, anything else as a Python literal."""
    if isinstance(value, Mapping):
        return _toml_inline(value)
    return repr(value)


def _toml_inline(value: object) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key} = {_toml_inline(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_inline(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


class SpecError(ValueError):
    """Raised with every problem found, so the user can fix them all at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("SpecError needs at least one problem")
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def messages(self) -> list[str]:
        return [str(problem) for problem in self.problems]
