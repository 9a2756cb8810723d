"""Read a TOML configuration file and apply `KEY=VALUE` overrides to it."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from ntm_spec.config import DEFAULTS, merge
from ntm_spec.errors import Problem, SpecError
from ntm_spec.ranges import closest_name


def read_config_file(path: Path) -> dict[str, object]:
    """Return the file's tables, or raise SpecError naming the file."""

    def invalid(rule: str, fix: str) -> SpecError:
        return SpecError([Problem("config", str(path), rule, fix)])

    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise invalid("the file does not exist", "Pass the path of an existing TOML file") from None
    except IsADirectoryError:
        raise invalid("the path is a folder", "Pass the path of a TOML file, such as config/default.toml") from None
    except OSError as error:
        raise invalid(f"the file cannot be read ({error.strerror})", "Check its permissions") from None
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise invalid(
            f"the file is not UTF-8 text (byte 0x{byte:02x} at offset {error.start})",
            "Save it as UTF-8, as TOML requires",
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise invalid(f"the file is not valid TOML ({error})", "Fix the syntax at that line") from None


def apply_overrides(raw: Mapping[str, object], pairs: Iterable[tuple[str, object]]) -> dict[str, object]:
    """Apply `section.key` = value pairs. A key outside the configuration is kept, for load_config to reject.

    String values are read as TOML values (numbers, booleans, lists) where they
    parse as such, and as text otherwise, so `-c tuning.max_training_jobs=10`
    sets an integer.
    """
    # Start from the effective configuration, so that `ranges.NAME.KEY=VALUE`
    # changes one bound of the ranges in force instead of replacing them all.
    merged = merge(DEFAULTS, raw)
    for key, value in pairs:
        node: object = parse_value(value)
        for part in reversed(key.split(".")):
            node = {part: node}
        merged = merge(merged, node, replace_ranges=False)  # type: ignore[arg-type]
    return merged


def parse_assignment(text: str) -> tuple[str, str]:
    """Split `KEY=VALUE`, or raise SpecError."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip():
        raise SpecError(
            [Problem("--set", text, "an override is KEY=VALUE", "Write for example tuning.max_training_jobs=10")]
        )
    key = key.strip()
    section = key.split(".")[0]
    if section not in DEFAULTS:
        raise SpecError(
            [
                Problem(
                    "--set",
                    text,
                    "the key names no configuration section or key",
                    closest_name(section, sorted(DEFAULTS)),
                )
            ]
        )
    return key, value.strip()


def parse_value(value: object) -> object:
    """Read a string as a TOML value (number, boolean, array, inline table), or keep it as text."""
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        return value
