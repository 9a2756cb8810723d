"""Measure `ntm-tune --help` against `python -c pass`, the interpreter's own start-up.

Usage: python benchmarks/bench_cli_startup.py [--runs 20] [--output docs/benchmarks.md]
Both commands run with the project's virtual environment, alternating, and the median
wall time of each is reported with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from pathlib import Path

from bench_common import cpu_model, time_command, write_section

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "## CLI start-up"
TARGET_RATIO = 4.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    parser.add_argument("--output", type=Path, help="Markdown file whose CLI start-up section is replaced")
    args = parser.parse_args()

    python = str(REPO_ROOT / ".venv/bin/python")
    cli = [str(REPO_ROOT / ".venv/bin/ntm-tune"), "--help"]
    baseline = [python, "-c", "pass"]
    # One unmeasured run of each fills the page cache and writes bytecode.
    time_command(cli, cwd=REPO_ROOT)
    time_command(baseline, cwd=REPO_ROOT)
    cli_times, baseline_times = [], []
    for _ in range(args.runs):
        cli_times.append(time_command(cli, cwd=REPO_ROOT))
        baseline_times.append(time_command(baseline, cwd=REPO_ROOT))

    cli_median, baseline_median = statistics.median(cli_times), statistics.median(baseline_times)
    ratio = cli_median / baseline_median
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    machine = f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
    machine += f"{platform.system()} {platform.machine()}"
    rows = [
        ("`ntm-tune --help`", cli_median, cli_times),
        ("`python -c pass`", baseline_median, baseline_times),
    ]
    table = "\n".join(
        f"| {name} | {median * 1000:.0f} | {min(times) * 1000:.0f} | {max(times) * 1000:.0f} |"
        for name, median, times in rows
    )
    body = f"""{SECTION}

`ntm-tune --help` (the console script, which imports every subcommand's parser)
against `python -c pass`, both from `.venv`, {args.runs} alternating runs each after
one unmeasured run, median wall time.

| command | median (ms) | min (ms) | max (ms) |
| --- | ---: | ---: | ---: |
{table}

Ratio: **{ratio:.2f}x** ({verdict} the target of at most {TARGET_RATIO:g}x).
`tests/cli/test_cli_startup.py` checks that `--help` imports none of aws_cdk, boto3,
botocore, matplotlib, numpy, scipy, scikit-learn and moto.

- Command: `python benchmarks/bench_cli_startup.py --output docs/benchmarks.md`
- Machine: {machine}
"""
    print(body)
    if args.output:
        write_section(args.output, SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
