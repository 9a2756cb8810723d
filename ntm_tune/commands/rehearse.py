"""`ntm-tune rehearse`: run the tuning workflow once, offline, on a real corpus.

The command synthesizes the stack, prepares a dataset from the corpus, uploads
it to an emulated datasets bucket (manifest last) and starts the state machine
as the S3 trigger would. moto emulates AWS in this process, and SageMaker's
responses come from a scenario file. It needs the repository checkout (cdk.json,
`lambda/`, `config/`) and the development requirements, which pin moto.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ntm_tune.cli import UsageError

# The shared data folder sits beside the repository checkout.
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "lee_background.txt"
DEFAULT_VERSION = "rehearsal"
DEFAULT_TIME_LIMIT_SECONDS = 60.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rehearse",
        help="run the tuning workflow once offline against emulated AWS",
        description=(
            "Run the synthesized tuning workflow once, offline: prepare a dataset from a corpus, upload it to an "
            "emulated datasets bucket and start the state machine as a new manifest would. AWS is emulated with "
            "moto in this process; SageMaker's results are simulated from a scenario. Nothing is sent to AWS."
        ),
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"text file with one document per line (default: {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        help="bundled scenario name, or a scenario .toml file, that scripts SageMaker's responses "
        "(default: completed; --list-scenarios shows them)",
    )
    parser.add_argument("--list-scenarios", action="store_true", help="list the bundled scenarios and exit")
    parser.add_argument(
        "--template",
        type=Path,
        default=None,
        help="rehearse this synthesized template, such as cdk.out/NtmTuning-dev.template.json from `make synth`, "
        "instead of synthesizing the stack in-process",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="tuning configuration to synthesize the stack with (default: config/default.toml); "
        "ignored with --template",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one configuration key, such as tuning.max_training_jobs=10 (repeatable)",
    )
    parser.add_argument(
        "--dataset-version",
        default=DEFAULT_VERSION,
        help=f"dataset version folder to upload the prepared dataset to (default: {DEFAULT_VERSION})",
    )
    parser.add_argument(
        "--time-limit",
        type=_time_limit,
        default=DEFAULT_TIME_LIMIT_SECONDS,
        metavar="SECONDS",
        help="stop the execution if it has not ended after this many seconds "
        f"(default: {DEFAULT_TIME_LIMIT_SECONDS:g})",
    )
    parser.add_argument("--show-logs", action="store_true", help="also print the Lambda handlers' log records")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ntm_tune.rehearsal import DEFAULT_SCENARIO
    from ntm_tune.rehearsal.scenario import ScenarioError, load_scenario, scenario_names

    if args.list_scenarios:
        for name in scenario_names():
            print(f"{name:<28} {load_scenario(name).summary}")
        return 0
    try:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO)
    except ScenarioError as error:
        raise UsageError(str(error)) from None
    if args.template is not None and not args.template.is_file():
        problem = "is a folder" if args.template.is_dir() else "not found"
        raise UsageError(
            f"template {args.template} {problem}. "
            "Pass the template file that `make synth` wrote, or leave out --template"
        )
    if args.template is not None and (args.config is not None or args.overrides):
        raise UsageError(
            "--config and --set are invalid with --template: they apply only when rehearse synthesizes the stack. "
            "Leave out --template, or synthesize with `npx cdk synth -c KEY=VALUE` and pass that template"
        )
    # Checked before anything is printed, so that a bad template or configuration is the only output.
    template_workflow = _read_template(args.template) if args.template is not None else None
    raw_config = _read_config(args) if args.template is None else {}
    if not args.corpus.is_file():
        raise UsageError(
            f"corpus {args.corpus} not found. Pass --corpus with a text file that has one document per line "
            "(with make: make rehearse CORPUS=FILE). "
            "The default is lee_background.txt in the shared data folder beside the repository"
        )
    return _rehearse(args, scenario, raw_config, template_workflow)


def _read_template(path: Path):
    """Return the workflow of a synthesized template, or raise UsageError for any other file."""
    import json

    from ntm_tune.rehearsal.workflow import Workflow

    try:
        return Workflow.from_template(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError, LookupError) as error:
        raise UsageError(
            f"template {path} is invalid: it is not a template of this stack ({type(error).__name__}: {error}). "
            "Pass cdk.out/NtmTuning-STAGE.template.json from `make synth`"
        ) from None


def _time_limit(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds >= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is invalid: expected a number of seconds of at least 1")
    return seconds


def _read_config(args: argparse.Namespace) -> dict[str, object]:
    from ntm_spec.config import load_config
    from ntm_spec.config_file import apply_overrides, parse_assignment, read_config_file
    from ntm_spec.errors import SpecError
    from ntm_tune.rehearsal import REPO_ROOT

    path = args.config or REPO_ROOT / "config" / "default.toml"
    try:
        raw = apply_overrides(read_config_file(path), [parse_assignment(text) for text in args.overrides])
        load_config(raw)
        return raw
    except SpecError as error:
        raise UsageError("invalid configuration:\n  " + "\n  ".join(error.messages())) from None


def _rehearse(args: argparse.Namespace, scenario, raw_config: dict[str, object], template_workflow) -> int:
    import json
    import logging
    import tempfile

    from ntm_spec.errors import SpecError
    from ntm_tune.formatting import plural
    from ntm_tune.rehearsal.harness import Rehearsal, RehearsalError
    from ntm_tune.rehearsal.report import emulation_banner, format_records, format_request, format_states
    from ntm_tune.rehearsal.workflow import Workflow

    # moto logs every Fail state as an error, and the report already states how the execution ended.
    logging.getLogger("moto").setLevel(logging.CRITICAL)

    print(emulation_banner(scenario, ended=False))
    print(f"Scenario {scenario.name}: {scenario.summary}")
    print()

    with tempfile.TemporaryDirectory(prefix="ntm-rehearsal-") as scratch:
        scratch_path = Path(scratch)
        if template_workflow is not None:
            workflow = template_workflow
            print(f"Template: {args.template}")
        else:
            import os

            from ntm_tune.rehearsal.synth import synthesize

            # As `make synth` does: jsii's end-of-life notice for Node.js 20 would otherwise
            # come out as Python byte strings in the middle of the report.
            os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

            try:
                synthesized = synthesize(raw_config, outdir=scratch_path / "cdk.out")
            except SpecError as error:
                raise UsageError("invalid configuration:\n  " + "\n  ".join(error.messages())) from None
            workflow = Workflow.from_template(synthesized.template_dict)
            print("Template: synthesized in-process from the configuration")
        # The dataset that the validate function uses when a start names none.
        tuning_config = json.loads(workflow.function_for_handler("validate_run.handler").environment["TUNING_CONFIG"])
        dataset_name = tuning_config["dataset"]["name"]

        manifest, dataset_dir = _prepare(args.corpus, scratch_path / "dataset")
        channels = ", ".join(
            f"{name} {plural(count, 'document')}" for name, count in manifest.channel_documents.items()
        )
        print(f"Dataset prepared from {args.corpus}: feature_dim {manifest.feature_dim}; {channels}")

        with Rehearsal(workflow, scenario, time_limit_seconds=args.time_limit) as rehearsal:
            key = rehearsal.upload_dataset(dataset_dir, dataset=dataset_name, version=args.dataset_version)
            print(
                f"Uploaded to s3://{workflow.datasets_bucket}/{key.rsplit('/', 1)[0]}/ (emulated), manifest.json last"
            )
            print(f"Started by an EventBridge 'Object Created' event (source aws.s3) for {key}")
            print()
            try:
                result = rehearsal.run_object_created(key)
            except RehearsalError as error:
                print(f"The rehearsal failed: {error}")
                if error.result is not None:
                    print()
                    print("\n".join(format_states(error.result)))
                print()
                print(emulation_banner(scenario, ended=True))
                return 1

    print("\n".join(format_states(result)))
    print()
    requests = result.create_requests
    if requests:
        accepted = [request for request in requests if request.response == "accepted"]
        print("\n".join(format_request((accepted or requests)[-1])))
    else:
        print("SageMaker request: none; the run ended before any SageMaker call")
    print()
    print("\n".join(format_records(result, table=workflow.run_history_table)))
    for note in result.notes:
        print(f"NOTE: {note}")
    if args.show_logs:
        print()
        print("Lambda logs:")
        for invocation in result.invocations:
            for line in invocation.logs:
                print(f"  {invocation.function}: {line}")
    print()
    print(emulation_banner(scenario, ended=True))
    if not result.records:
        # Every run the workflow handles ends recorded; one that does not shows a broken stack.
        print("The rehearsal failed: the run ended without a record in the run history; see the states above")
        return 1
    return 0


def _prepare(corpus: Path, destination: Path):
    """Prepare a dataset version folder from `corpus` with `ntm-tune prepare`'s defaults."""
    from ntm_tune.prepare.pipeline import PrepareRequest, prepare_dataset

    result = prepare_dataset(PrepareRequest(input_path=corpus, destination=str(destination), input_format="lines"))
    return result.manifest, destination
