"""Validation problems that name the key, the value, the rule and the fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One invalid setting: `KEY: VALUE is invalid: RULE. FIX.`, or `KEY is missing: RULE. FIX.`"""

    key: str
    value: object
    rule: str
    fix: str

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.key} is missing: {self.rule}. {self.fix}."
        return f"{self.key}: {self.value!r} is invalid: {self.rule}. {self.fix}."


class SpecError(ValueError):
    """Raised with every problem found, so the user can fix them all at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("SpecError needs at least one problem")
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def messages(self) -> list[str]:
        return [str(problem) for problem in self.problems]
