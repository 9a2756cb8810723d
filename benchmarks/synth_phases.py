"""Time the phases of the app's Python process and print them as JSON.

Usage: python benchmarks/synth_phases.py [--without-cdk-nag]
Run from the repository root with CDK_OUTDIR set. The phases are loading the jsii
runtime with aws-cdk-lib (`import aws_cdk`, which the empty app also does), loading
cdk-nag, loading the project with the aws-cdk-lib modules it uses, creating the
constructs, and `app.synth()`. With --without-cdk-nag, the stack is created and tagged
as `app.build_app` does, but no cdk-nag plugin is registered, so the difference shows
what the checks cost at synthesis.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    without_cdk_nag = "--without-cdk-nag" in sys.argv[1:]
    seconds: dict[str, float] = {}
    start = time.perf_counter()

    import aws_cdk as cdk

    seconds["import aws_cdk"] = time.perf_counter() - start
    start = time.perf_counter()
    import cdk_nag  # noqa: F401

    seconds["import cdk_nag"] = time.perf_counter() - start
    start = time.perf_counter()
    import app as application
    from ntm_spec.config import load_config
    from stacks.ntm_tuning_stack import NtmTuningStack

    seconds["import the project and its aws-cdk-lib modules"] = time.perf_counter() - start
    start = time.perf_counter()
    app = cdk.App()
    config = load_config(application.read_configuration(app))
    if without_cdk_nag:
        stack = NtmTuningStack(app, f"NtmTuning-{config.stage}", config=config, env=cdk.Environment(region="us-east-1"))
        for key, value in {**config.tags, application.STAGE_TAG: config.stage}.items():
            cdk.Tags.of(stack).add(key, value)
    else:
        application.build_app(app, config, region="us-east-1", account=None)
    seconds["create the constructs"] = time.perf_counter() - start
    start = time.perf_counter()
    app.synth()
    seconds["app.synth()"] = time.perf_counter() - start

    print(json.dumps(seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
