"""`ntm-tune start` against an emulated stack: local validation, then one execution."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from ntm_tune.cli import main
from ntm_tune.commands.start import build_execution_name, build_overrides, validate_function_name


def executions(deployed) -> list[dict]:
    return deployed.client("stepfunctions").list_executions(stateMachineArn=deployed.state_machine_arn)["executions"]


def execution_input(deployed, arn: str) -> dict:
    return json.loads(deployed.client("stepfunctions").describe_execution(executionArn=arn)["input"])


def test_start_creates_execution(deployed, capsys):
    deployed.put_manifest(version="2026-12-01")

    status = main(["start", "--dataset", "news", "--version", "2026-12-01", "--set", "num_topics=30"])

    output = capsys.readouterr().out
    started = executions(deployed)
    assert status == 0
    assert len(started) == 1
    arn = started[0]["executionArn"]
    assert execution_input(deployed, arn) == {
        "dataset": "news",
        "version": "2026-12-01",
        "overrides": {"num_topics": 30},
    }
    assert started[0]["name"].startswith("manual-news-2026-12-01-")
    assert f"ARN:     {arn}" in output
    assert (
        f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}" in output
    )
    assert "feature_dim 5000" in output


def test_start_defaults_to_newest_version(deployed, capsys):
    # Without --dataset, start uses the configuration's dataset.name, "corpus".
    deployed.put_manifest(dataset="corpus", version="v2")
    # S3 reports LastModified to the second, so the second manifest must be a second newer.
    time.sleep(1.1)
    deployed.put_manifest(dataset="corpus", version="v1")
    deployed.put_manifest(dataset="news", version="v3")

    status = main(["start"])

    started = executions(deployed)
    assert status == 0
    assert len(started) == 1
    assert execution_input(deployed, started[0]["executionArn"])["dataset"] == "corpus"
    assert execution_input(deployed, started[0]["executionArn"])["version"] == "v1"


def test_start_rejects_invalid_override(deployed, capsys):
    deployed.put_manifest()

    status = main(["start", "--dataset", "news", "--version", "v1", "--set", "num_topics=1"])

    error = capsys.readouterr().err
    assert status == 2
    assert "the run is invalid, so nothing was started" in error
    assert "static_hyperparameters.num_topics: 1 is invalid" in error
    assert executions(deployed) == []


def test_start_rejects_setting_not_per_run(deployed, capsys):
    deployed.put_manifest()

    status = main(["start", "--dataset", "news", "--version", "v1", "--set", "tuning.strategy=Random"])

    error = capsys.readouterr().err
    assert status == 2
    assert "--set 'tuning.strategy=Random' is invalid: tuning.strategy cannot change per run" in error
    assert executions(deployed) == []


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("num_topics", "an override is KEY=VALUE"),
        ("epochs=5", "epochs cannot change per run. Set one of num_topics, max_training_jobs"),
        ("num_topcs=30", 'num_topcs cannot change per run. Did you mean "num_topics"?'),
    ],
)
def test_bad_set_reported_before_credentials(monkeypatch, capsys, assignment, fragment):
    # No credentials and no Region: the command line is checked before any AWS call.
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)

    status = main(["start", "--dataset", "news", "--set", assignment])

    error = capsys.readouterr().err
    assert status == 2
    assert fragment in error
    assert "credentials" not in error


def test_start_missing_manifest(deployed, capsys):
    status = main(["start", "--dataset", "news", "--version", "v9"])

    error = capsys.readouterr().err
    assert status == 2
    assert "dataset: 's3://datasets/datasets/news/v9/manifest.json' is invalid: the dataset has no manifest" in error
    assert "Traceback" not in error


def test_start_no_dataset_version(deployed, capsys):
    status = main(["start", "--dataset", "news"])

    error = capsys.readouterr().err
    assert status == 2
    assert "no version of dataset news has a manifest under s3://datasets/datasets/news/" in error


def test_dry_run_edits_one_range(deployed, capsys):
    deployed.put_manifest()

    status = main(
        ["start", "--dataset", "news", "--version", "v1", "--set", "ranges.learning_rate.max=0.05", "--dry-run"]
    )

    output = capsys.readouterr().out
    printed = json.loads(output[output.index("{") :])
    ranges = printed["overrides"]["ranges"]
    assert status == 0
    assert ranges["learning_rate"]["max"] == 0.05
    assert ranges["learning_rate"]["min"] == deployed.config["ranges"]["learning_rate"]["min"]
    assert set(ranges) == set(deployed.config["ranges"])
    assert executions(deployed) == []


def test_range_override_checked_by_spec(deployed, capsys):
    deployed.put_manifest()

    status = main(["start", "--dataset", "news", "--version", "v1", "--set", "ranges.learning_rate.max=5.0"])

    assert status == 2
    assert "ranges.learning_rate" in capsys.readouterr().err
    assert executions(deployed) == []


def test_start_with_local_config(deployed, tmp_path, capsys):
    deployed.put_manifest()
    config = tmp_path / "small.toml"
    config.write_text('[tuning]\nmax_training_jobs = 4\nmax_parallel_training_jobs = 2\n[dataset]\nname = "news"\n')

    status = main(["start", "--version", "v1", "--config", str(config), "--dry-run"])

    assert status == 0
    assert "at most 4 training jobs, 2 in parallel" in capsys.readouterr().out


def test_override_parsing_reads_toml_values():
    overrides = build_overrides(
        ["num_topics=30", "max_training_jobs=10", "ranges.optimizer.values=['adam', 'sgd']"],
        {"ranges": {"optimizer": {"values": ["sgd"]}, "learning_rate": {"min": 0.001, "max": 0.1}}},
    )

    assert overrides["num_topics"] == 30
    assert overrides["max_training_jobs"] == 10
    assert overrides["ranges"]["optimizer"] == {"values": ["adam", "sgd"]}
    assert overrides["ranges"]["learning_rate"] == {"min": 0.001, "max": 0.1}


def test_override_without_equals_sign():
    from ntm_tune.errors import UsageError

    with pytest.raises(UsageError, match="an override is KEY=VALUE"):
        build_overrides(["num_topics"], {})


def test_execution_name_fits_step_functions():
    now = datetime(2026, 12, 4, 12, 30, 5, tzinfo=UTC)

    name = build_execution_name("d" * 64, "v" * 64, now)

    assert len(name) <= 80
    assert "-20261204T123005Z-" in name
    assert name.startswith("manual-ddd")


@pytest.mark.slow
def test_function_found_in_synthesized_definition(definition):
    function_name = validate_function_name(definition)

    assert function_name is not None
    assert ":lambda:" in function_name
    assert ":function:" in function_name


def test_function_found_in_invoke_parameters():
    definition = {
        "States": {"Validate run": {"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}}}
    }

    assert validate_function_name(definition) == "f"
