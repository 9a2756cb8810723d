"""`ntm-tune rehearse` on a slice of a real corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ntm_tune.cli import main
from ntm_tune.commands.rehearse import DEFAULT_CORPUS
from ntm_tune.rehearsal.scenario import scenario_names


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    if not DEFAULT_CORPUS.is_file():
        pytest.skip(f"the shared corpus {DEFAULT_CORPUS} is absent")
    documents = DEFAULT_CORPUS.read_text(encoding="utf-8").splitlines()[:60]
    path = tmp_path_factory.mktemp("corpus") / "lee_head60.txt"
    path.write_text("\n".join(documents) + "\n", encoding="utf-8")
    return path


def rehearse(capsys, *arguments: str) -> tuple[int, list[str]]:
    status = main(["rehearse", *arguments])
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.slow
def test_rehearsal_reports_run(capsys, corpus):
    status, lines = rehearse(capsys, "--corpus", str(corpus))

    text = "\n".join(lines)
    prepared_dim = re.search(r"Dataset prepared from .*: feature_dim (\d+);", text)[1]
    assert status == 0
    assert lines[0].startswith("REHEARSAL: AWS is emulated in this process with moto")
    assert "simulated from scenario 'completed'" in lines[0]
    assert lines[-1].startswith("REHEARSAL ENDED: AWS was emulated in this process with moto")
    assert "simulated from scenario 'completed'" in lines[-1]
    assert "States taken: execution SUCCEEDED" in text
    assert re.search(r"static hyperparameters: .*feature_dim=" + prepared_dim, text)
    assert "outcome                      succeeded" in text
    assert "S3 run summary: s3://" in text
    assert "EventBridge event on the default bus: NTM Tuning Run Completed (source ntm-tuning." in text


@pytest.fixture
def template_file(template_dict, tmp_path) -> Path:
    path = tmp_path / "NtmTuning-test.template.json"
    path.write_text(json.dumps(template_dict))
    return path


def test_rehearsal_of_failed_job(capsys, corpus, template_file):
    status, lines = rehearse(
        capsys, "--corpus", str(corpus), "--template", str(template_file), "--scenario", "failed-no-best-job"
    )

    text = "\n".join(lines)
    assert status == 0
    assert "States taken: execution FAILED" in text
    assert "outcome                      failed" in text
    assert "SNS notification: NTM tuning run did not succeed" in text
    assert "EventBridge events: none" in text
    assert "scenario 'failed-no-best-job'" in lines[-1]
    assert f"Template: {template_file}" in text


def test_missing_template_is_usage_error(capsys, tmp_path):
    # The corpus is missing too: the template is reported first, with or without the shared data.
    status = main(
        [
            "rehearse",
            "--template",
            str(tmp_path / "absent.template.json"),
            "--corpus",
            str(tmp_path / "absent.txt"),
        ]
    )

    assert status == 2
    assert "not found. Pass the template file that `make synth` wrote" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "error_name"), [("hello", "JSONDecodeError"), ("{}", "KeyError")])
def test_file_that_is_no_template_rejected(capsys, tmp_path, content, error_name):
    path = tmp_path / "other.json"
    path.write_text(content)

    status = main(["rehearse", "--template", str(path)])

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert f"template {path} is invalid: it is not a template of this stack ({error_name}" in captured.err


def test_set_with_template_rejected(capsys, template_file):
    status = main(["rehearse", "--template", str(template_file), "--set", "tuning.max_training_jobs=5"])

    assert status == 2
    assert "--config and --set are invalid with --template" in capsys.readouterr().err


def test_invalid_configuration_is_the_only_output(capsys, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[ranges.learning_rate]\nmin = 0.1\nmax = 0.0001\n")

    status = main(["rehearse", "--config", str(config), "--corpus", str(tmp_path / "absent.txt")])

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "invalid configuration:" in captured.err
    assert "ranges.learning_rate: {min = 0.1, max = 0.0001} is invalid: min must be below max" in captured.err


@pytest.mark.parametrize("limit", ["0", "-5", "0.01"])
def test_time_limit_below_one_second_rejected(capsys, limit):
    with pytest.raises(SystemExit) as raised:
        main(["rehearse", "--time-limit", limit])

    assert raised.value.code == 2
    assert f"argument --time-limit: '{limit}' is invalid: expected a number of seconds of at least 1" in (
        capsys.readouterr().err
    )


def test_missing_corpus_is_usage_error(capsys, tmp_path):
    status = main(["rehearse", "--corpus", str(tmp_path / "absent.txt")])

    assert status == 2
    assert "absent.txt not found" in capsys.readouterr().err


def test_unknown_scenario_is_usage_error(capsys):
    status = main(["rehearse", "--scenario", "complete"])

    assert status == 2
    assert "scenario 'complete' not found" in capsys.readouterr().err


def test_list_scenarios(capsys):
    status, lines = rehearse(capsys, "--list-scenarios")

    assert status == 0
    assert [line.split()[0] for line in lines] == scenario_names()


@pytest.mark.slow
def test_rehearsal_as_installed_command(corpus, template_file, tmp_path):
    # A separate process with the repository's lambda/ folder off the import path,
    # as a user runs it; pytest's own pythonpath would hide a missing import.
    import os
    import subprocess
    import sys

    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "ntm_tune.cli", "rehearse", "--corpus", str(corpus), "--template", str(template_file)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "States taken: execution SUCCEEDED" in result.stdout
