#!/usr/bin/env python3
"""CDK app: read the tuning configuration once, validate it, create the stack, add cdk-nag."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from ntm_spec.config import TuningConfig, load_config
from ntm_spec.config_file import apply_overrides, read_config_file
from ntm_spec.errors import SpecError
from stacks.ntm_tuning_stack import NtmTuningStack

STAGE_TAG = "ntm:stage"
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
    """Create the stack in `app`, tag every resource and register cdk-nag, whose findings fail synthesis.

    The tags are the configuration's `[tags]` plus `ntm:stage`, which always names the stage.
    """
    stack = NtmTuningStack(
        app, f"NtmTuning-{config.stage}", config=config, env=cdk.Environment(account=account, region=region)
    )
    for key, value in {**config.tags, STAGE_TAG: config.stage}.items():
        cdk.Tags.of(stack).add(key, value)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def resolve_region(app: cdk.App) -> str:
    # The Region must be concrete because it selects the NTM image; us-east-1 when no context or variable sets one.
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
    context = app.node.get_all_context()
    return apply_overrides(read_config_file(path), ((key, value) for key, value in context.items() if key != "config"))


if __name__ == "__main__":
    main()
