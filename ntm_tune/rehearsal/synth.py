"""Synthesize the app in-process, with cdk.json's feature flags.

This builds the stack as `app.py` does, minus cdk-nag, which the tests run on
their own. It needs the repository checkout (cdk.json, `lambda/`), not only the
installed packages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from ntm_spec.config import TuningConfig, load_config
from ntm_tune.rehearsal import REPO_ROOT
from stacks.ntm_tuning_stack import NtmTuningStack

TEST_REGION = "us-east-1"
TEST_ACCOUNT = "123456789012"


def feature_flags() -> dict[str, object]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class SynthesizedStack:
    app: cdk.App
    stack: NtmTuningStack
    template: Template
    template_dict: dict
    config: TuningConfig
    outdir: Path


def synthesize(
    raw_config: dict | None = None,
    *,
    outdir: Path,
    region: str = TEST_REGION,
    stack_id: str = "NtmTuning-test",
) -> SynthesizedStack:
    """Build the stack from `raw_config` (the defaults when None) and return its template."""
    config = load_config(raw_config or {})
    app = cdk.App(context=feature_flags(), outdir=str(outdir))
    stack = NtmTuningStack(app, stack_id, config=config, env=cdk.Environment(account=TEST_ACCOUNT, region=region))
    template = Template.from_stack(stack)
    return SynthesizedStack(app, stack, template, template.to_json(), config, outdir)


def state_machine_definition(template_dict: dict) -> dict:
    """Return the state machine's ASL with CloudFormation references replaced by sample values."""
    from ntm_tune.rehearsal.template import resolve_definition

    return resolve_definition(template_dict)
