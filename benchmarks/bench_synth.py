"""Measure `cdk synth` of the whole app against an empty CDK app, in the same run.

Usage: python benchmarks/bench_synth.py [--runs 3] [--output docs/benchmarks.md]
Both synths go through the pinned CDK CLI (`npx cdk synth --quiet`) with the same
environment. The median wall time of each is reported with the machine, followed by
the phases of the app's Python process with and without cdk-nag (synth_phases.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench_common import machine_description, time_command, write_section

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Synth time"
TARGET_RATIO = 1.5
EMPTY_APP = """
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""


def time_python(script: str, cwd: Path, outdir: Path) -> float:
    """Time the app's own Python process, without the CDK CLI around it."""
    python = str(REPO_ROOT / ".venv/bin/python")
    return time_command([python, script], cwd=cwd, environment={**os.environ, "CDK_OUTDIR": str(outdir)})


def phase_seconds(outdir: Path, *, without_cdk_nag: bool) -> dict[str, float]:
    """Return the seconds of each phase of the app's Python process (benchmarks/synth_phases.py)."""
    command = [str(REPO_ROOT / ".venv/bin/python"), str(REPO_ROOT / "benchmarks/synth_phases.py")]
    if without_cdk_nag:
        command.append("--without-cdk-nag")
    environment = {**os.environ, "CDK_OUTDIR": str(outdir)}
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_phases(runs: list[dict[str, float]]) -> dict[str, float]:
    return {phase: statistics.median(run[phase] for run in runs) for phase in runs[0]}


def time_synth(app_command: str, cwd: Path, outdir: Path) -> float:
    command = ["npx", "--prefix", str(REPO_ROOT), "cdk", "synth", "--quiet", "--app", app_command]
    return time_command([*command, "--output", str(outdir)], cwd=cwd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="synths of each app (default 3)")
    parser.add_argument("--output", type=Path, help="Markdown file whose synth-time section is replaced")
    args = parser.parse_args()

    python = str(REPO_ROOT / ".venv/bin/python")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        (scratch_dir / "empty_app.py").write_text(EMPTY_APP)
        (scratch_dir / "cdk.json").write_text('{"notices": false, "versionReporting": false, "cli-telemetry": false}')
        app_times, empty_times = [], []
        # Alternate the two so that a slow spell of the machine hits both.
        for run in range(args.runs):
            app_times.append(time_synth(f"{python} app.py", REPO_ROOT, scratch_dir / f"app-{run}"))
            empty_times.append(time_synth(f"{python} empty_app.py", scratch_dir, scratch_dir / f"empty-{run}"))
        app_python = statistics.median(
            time_python("app.py", REPO_ROOT, scratch_dir / f"python-app-{run}") for run in range(args.runs)
        )
        empty_python = statistics.median(
            time_python("empty_app.py", scratch_dir, scratch_dir / f"python-empty-{run}") for run in range(args.runs)
        )
        with_nag, without_nag = [], []
        for run in range(args.runs):
            with_nag.append(phase_seconds(scratch_dir / f"phases-{run}", without_cdk_nag=False))
            without_nag.append(phase_seconds(scratch_dir / f"phases-without-nag-{run}", without_cdk_nag=True))
        phases, phases_without_nag = median_phases(with_nag), median_phases(without_nag)

    app_median, empty_median = statistics.median(app_times), statistics.median(empty_times)
    ratio = app_median / empty_median
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    machine = machine_description()
    phase_rows = "\n".join(f"| {phase} | {phases[phase]:.2f} | {phases_without_nag[phase]:.2f} |" for phase in phases)
    body = f"""{SECTION}

Whole app (`app.py`: stack, cdk-nag, Lambda asset staging) against an empty CDK
app with one empty stack, both through `npx cdk synth --quiet` with the pinned
CLI, {args.runs} alternating runs each, median wall time.

| app | median (s) | runs (s) |
| --- | ---: | --- |
| NTM tuning app | {app_median:.2f} | {", ".join(f"{value:.2f}" for value in app_times)} |
| empty app | {empty_median:.2f} | {", ".join(f"{value:.2f}" for value in empty_times)} |

Ratio: **{ratio:.2f}x** ({verdict} the target of at most {TARGET_RATIO}x).

Where the time goes: the app's Python process alone (`python app.py`, no CLI)
takes {app_python:.2f} s against {empty_python:.2f} s for the empty app, so the
CLI's own start-up is about {empty_median - empty_python:.2f} s in both. Inside the app's
process (`benchmarks/synth_phases.py`, {args.runs} runs, medians; the last column
registers no cdk-nag plugin):

| phase | seconds | without cdk-nag |
| --- | ---: | ---: |
{phase_rows}

- Command: `make bench` (`python benchmarks/bench_synth.py --output docs/benchmarks.md`)
- Machine: {machine}
- Environment: `CDK_VALIDATION=false` and `JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20`, as `make synth` sets them
"""
    print(body)
    if args.output:
        write_section(args.output, SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
