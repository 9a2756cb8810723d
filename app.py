#!/usr/bin/env python3
"""CDK app: read the tuning configuration once, validate it, create the stack, add cdk-nag."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from ntm_spec.config import DEFAULTS, TuningConfig, load_config
from ntm_spec.config_file import apply_overrides, read_config_file
from ntm_spec.errors import Problem, SpecError
from ntm_spec.ranges import closest_match
from stacks.ntm_tuning_stack import NtmTuningStack

STAGE_TAG = "ntm:stage"
# Context keys that the app reads itself. Every other key that is not the CDK's overrides the configuration.
APP_CONTEXT_KEYS = ("config", "region")
# Context keys of the CDK CLI without a ":" or "/" in their name.
CDK_CONTEXT_KEYS = frozenset({"acknowledged-issue-numbers"})
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
    """Return the configuration file (`-c config=PATH`) with `-c KEY=VALUE` overrides applied.

    Every context key except the app's own and the CDK's is an override, so a misspelt
    one is rejected by the configuration's rules instead of being ignored.
    """
    path = Path(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
    context = app.node.get_all_context()
    overrides = [(key, value) for key, value in context.items() if key not in APP_CONTEXT_KEYS and not _is_cdk_key(key)]
    for key, value in overrides:
        # A near miss of the app's own keys, such as "conifg", would otherwise read as an unknown section.
        if "." not in key and key not in DEFAULTS and (hint := closest_match(key, APP_CONTEXT_KEYS)):
            raise SpecError([Problem(key, value, "the app reads no context key of that name", hint)])
    return apply_overrides(read_config_file(path), overrides)


def _is_cdk_key(key: str) -> bool:
    """Return whether a context key belongs to the CDK: feature flags, lookups and CLI settings."""
    return key.startswith("@") or ":" in key or "/" in key or key in CDK_CONTEXT_KEYS


if __name__ == "__main__":
    main()
