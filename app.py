#!/usr/bin/env python3
"""CDK app: read the tuning configuration once, validate it, create the stack, add cdk-nag."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from ntm_spec.config import DEFAULTS, TuningConfig, load_config, merge
from ntm_spec.errors import Problem, SpecError
from stacks.ntm_tuning_stack import NtmTuningStack

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "config" / "default.toml"


def main() -> None:
    app = cdk.App()
    try:
        config = load_config(read_configuration(app))
        build_app(app, config, region=resolve_region(app), account=os.environ.get("CDK_DEFAULT_ACCOUNT"))
    except SpecError as error:
        sys.exit("Invalid configuration; nothing was synthesized:\n  " + "\n  ".join(error.messages()))
    app.synth()


def build_app(app: cdk.App, config: TuningConfig, *, region: str, account: str | None) -> NtmTuningStack:
    """Create the stack in `app` and register cdk-nag, whose findings fail synthesis."""
    stack = NtmTuningStack(
        app, f"NtmTuning-{config.stage}", config=config, env=cdk.Environment(account=account, region=region)
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def resolve_region(app: cdk.App) -> str:
    # The Region must be concrete because it selects the NTM image; us-east-1 when nothing says otherwise.
    return (
        app.node.try_get_context("region")
        or os.environ.get("CDK_DEFAULT_REGION")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )


def read_configuration(app: cdk.App) -> dict[str, object]:
    """Return the configuration file (`-c config=PATH`) with `-c KEY=VALUE` overrides applied."""
    path = Path(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
    raw = read_config_file(path)
    return apply_context_overrides(raw, app.node.get_all_context())


def read_config_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise SpecError(
            [Problem("config", str(path), "the file does not exist", "Pass -c config=PATH with an existing TOML file")]
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(
            [Problem("config", str(path), f"the file is not valid TOML ({error})", "Fix the syntax at that line")]
        ) from None


def apply_context_overrides(raw: dict[str, object], context: Mapping[str, object]) -> dict[str, object]:
    """Apply `-c section.key=value` pairs whose first part names a configuration section."""
    for key, value in context.items():
        if key != "config" and key.split(".")[0] in DEFAULTS:
            raw = merge(raw, _nested(key, _parse_value(value)))
    return raw


def _nested(dotted_key: str, value: object) -> dict[str, object]:
    node: object = value
    for part in reversed(dotted_key.split(".")):
        node = {part: node}
    return node  # type: ignore[return-value]


def _parse_value(value: object) -> object:
    """Read a `-c KEY=VALUE` string as a TOML value (number, boolean, list), else as text."""
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        return value


if __name__ == "__main__":
    main()
