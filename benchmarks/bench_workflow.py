"""Measure the state transitions and Lambda invocations of one tuning run, per scenario.

Usage: python benchmarks/bench_workflow.py [--corpus PATH] [--output docs/benchmarks.md]

Each bundled scenario runs once through the synthesized state machine in
moto's Step Functions interpreter, with the real Lambda handlers and scripted
SageMaker responses (see ntm_tune.rehearsal). The counts come from the execution
history that `get_execution_history` returns. A state transition is a state
entered or a task retried, which is what Step Functions bills for a Standard
workflow (https://aws.amazon.com/step-functions/pricing/). A Lambda invocation
is a `LambdaFunctionScheduled` event, one per attempt. With `--output`, only
this script's section of the file is replaced.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "lambda")]

from bench_common import cpu_model, write_section  # noqa: E402

from ntm_spec.config_file import read_config_file  # noqa: E402
from ntm_tune.commands.rehearse import DEFAULT_CORPUS  # noqa: E402
from ntm_tune.prepare.pipeline import PrepareRequest, prepare_dataset  # noqa: E402
from ntm_tune.rehearsal.harness import Rehearsal  # noqa: E402
from ntm_tune.rehearsal.scenario import load_scenario, scenario_names  # noqa: E402
from ntm_tune.rehearsal.synth import synthesize  # noqa: E402
from ntm_tune.rehearsal.workflow import Workflow  # noqa: E402

SECTION = "## Workflow: transitions and Lambda invocations per run"
SUCCESS_SCENARIO = "completed"
# The design's budget for one successful run.
MAX_TRANSITIONS = 12
MAX_LAMBDA_INVOCATIONS = 3


def measure(workflow: Workflow, dataset: Path, scenario_name: str) -> dict[str, object]:
    scenario = load_scenario(scenario_name)
    started = time.perf_counter()
    with Rehearsal(workflow, scenario) as rehearsal:
        key = rehearsal.upload_dataset(dataset, dataset="corpus", version="bench")
        result = rehearsal.run_object_created(key)
    tuning_tasks = sum(
        event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "sagemaker"
        for event in result.history
    )
    return {
        "scenario": scenario_name,
        "status": result.status,
        "states": len(result.states),
        "retries": result.retries,
        "transitions": result.state_transitions,
        "lambda": result.lambda_invocations,
        "creates": len(result.create_requests),
        "tuning_tasks": tuning_tasks,
        "repeated_states": len(result.states) - len(set(result.states)),
        "seconds": time.perf_counter() - started,
    }


def render(rows: list[dict[str, object]], corpus: Path) -> str:
    success = next(row for row in rows if row["scenario"] == SUCCESS_SCENARIO)
    polling = success["tuning_tasks"] != 1 or success["repeated_states"] != 0
    within = success["transitions"] <= MAX_TRANSITIONS and success["lambda"] <= MAX_LAMBDA_INVOCATIONS
    lines = [
        SECTION,
        "",
        "One execution per bundled scenario, through the synthesized state machine in moto's Step Functions",
        "interpreter with the real Lambda handlers and scripted SageMaker responses. Counts come from",
        "`get_execution_history`: a state transition is a state entered or a task retried; a Lambda",
        "invocation is a `LambdaFunctionScheduled` event (one per attempt). Wall time is the emulated run,",
        "with Wait states and Retry intervals skipped, so it says nothing about a deployed run's duration.",
        "",
        "| scenario | execution | state transitions | retries | Lambda invocations | create calls | wall time (s) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['status']} | {row['transitions']} | {row['retries']} | {row['lambda']} "
            f"| {row['creates']} | {row['seconds']:.2f} |"
        )
    verdict = "meets" if within and not polling else "misses"
    lines += [
        "",
        f"Successful run ({SUCCESS_SCENARIO}): **{success['transitions']} state transitions and {success['lambda']} "
        f"Lambda invocations**, which {verdict} the target of at most {MAX_TRANSITIONS} and "
        f"{MAX_LAMBDA_INVOCATIONS}. The tuning task was scheduled {_times(success['tuning_tasks'])} and "
        f"{'a state was' if success['repeated_states'] else 'no state was'} entered twice, so the run has "
        f"{'a' if polling else 'no'} polling loop: `.sync` waits for the tuning job's end without a state per check.",
        "",
        *_unexpected_failures(rows),
        "- Command: `python benchmarks/bench_workflow.py --output docs/benchmarks.md`",
        f"- Dataset: prepared with `ntm-tune prepare` defaults from `{corpus.name}`",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        "",
    ]
    return "\n".join(lines)


def _times(count: object) -> str:
    return "once" if count == 1 else f"{count} times"


def _unexpected_failures(rows: list[dict[str, object]]) -> list[str]:
    """Flag runs whose scripted tuning job completed with a best training job, yet did not succeed."""
    lines = []
    for row in rows:
        end = load_scenario(str(row["scenario"])).end or {}
        completed = end.get("HyperParameterTuningJobStatus") == "Completed" and "BestTrainingJob" in end
        if completed and row["status"] != "SUCCEEDED":
            lines.append(
                f"NOTE: {row['scenario']} ended {row['status']} although its scripted tuning job completed "
                "with a best training job."
            )
    return [*lines, ""] if lines else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text file, one document per line")
    parser.add_argument("--output", type=Path, help="Markdown file whose workflow section is replaced")
    args = parser.parse_args()
    if not args.corpus.is_file():
        parser.error(f"corpus {args.corpus} not found; pass --corpus PATH")

    # moto logs every Fail state as an error, and the table already shows each execution's end.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as scratch:
        raw_config = read_config_file(REPO_ROOT / "config" / "default.toml")
        synthesized = synthesize(raw_config, outdir=Path(scratch) / "cdk.out")
        workflow = Workflow.from_template(synthesized.template_dict)
        dataset = Path(scratch) / "dataset"
        prepare_dataset(PrepareRequest(input_path=args.corpus, destination=str(dataset), input_format="lines"))
        # The first rehearsal in a process also loads the handlers' and botocore's modules.
        measure(workflow, dataset, SUCCESS_SCENARIO)
        rows = [measure(workflow, dataset, name) for name in scenario_names()]

    body = render(rows, args.corpus)
    print(body)
    if args.output:
        write_section(args.output, SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
