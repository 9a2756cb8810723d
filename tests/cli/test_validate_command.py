"""`ntm-tune validate` and synth on bad configurations."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ntm_tune.cli import main
from tests.support.synth import REPO_ROOT

BAD_CONFIG = """
job_name_prefix = "ntm_retune"
[objective]
metric = "validation:loss"
[ranges.weight_decay]
min = 0.0
max = 1.0
scaling = "Logarithmic"
[static_hyperparameters]
num_topics = 20
optimizer = '"adam"'
"""


def test_default_configuration_is_valid(capsys):
    status = main(["validate", str(REPO_ROOT / "config/default.toml")])

    assert status == 0
    assert "valid" in capsys.readouterr().out


def test_several_mistakes_all_printed(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CONFIG)

    status = main(["validate", str(path)])

    error = capsys.readouterr().err
    assert status == 2
    assert "4 problems found" in error
    for key in (
        "job_name_prefix:",
        "objective.metric:",
        "ranges.weight_decay.scaling:",
        "static_hyperparameters.optimizer:",
    ):
        assert key in error


def test_set_override_applies(capsys):
    status = main(["validate", str(REPO_ROOT / "config/default.toml"), "--set", "tuning.max_training_jobs=100"])

    assert status == 2
    assert "the worst case is 100 GPU hours" in capsys.readouterr().err


def test_missing_file_is_one_message(tmp_path, capsys):
    status = main(["validate", str(tmp_path / "absent.toml")])

    assert status == 2
    assert "the file does not exist" in capsys.readouterr().err


def test_folder_as_config_is_one_message(tmp_path, capsys):
    status = main(["validate", str(tmp_path)])

    error = capsys.readouterr().err
    assert status == 2
    assert "1 problem found" in error
    assert "the path is a folder. Pass the path of a TOML file" in error
    assert "Traceback" not in error


def test_non_utf8_config_is_one_message(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'stage = "d\xe9v"\n')

    status = main(["validate", str(path)])

    error = capsys.readouterr().err
    assert status == 2
    assert "the file is not UTF-8 text (byte 0xe9 at offset 10). Save it as UTF-8" in error


def test_misspelt_override_rejected(capsys):
    status = main(["validate", str(REPO_ROOT / "config/default.toml"), "--set", "tuning.max_trainig_jobs=5"])

    assert status == 2
    assert "tuning.max_trainig_jobs: 5 is invalid: the configuration has no key of that name" in (
        capsys.readouterr().err
    )


def test_schedule_and_tags_shown(tmp_path, capsys):
    path = tmp_path / "scheduled.toml"
    path.write_text('[schedule]\nexpression = "rate(7 days)"\n[tags]\nteam = "nlp"\n')

    status = main(["validate", str(path)])

    summary = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert status == 0
    assert summary["schedule"] == {"expression": "rate(7 days)"}
    assert summary["tags"] == {"team": "nlp"}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"tuning.max_trainig_jobs": 5}, "tuning.max_trainig_jobs: 5 is invalid"),
        ({"stgae": "prod"}, "stgae: 'prod' is invalid: the configuration has no section or key of that name"),
        ({"tunning.max_training_jobs": 10}, "tunning: {max_training_jobs = 10} is invalid"),
        (
            {"conifg": "other.toml"},
            "conifg: 'other.toml' is invalid: the app reads no context key of that name. Did you mean \"config\"?",
        ),
    ],
)
def test_synth_stops_on_misspelt_context_key(tmp_path, context, message):
    result = run_app(tmp_path, context)

    assert result.returncode != 0
    assert message in result.stderr
    assert list((tmp_path / "out").glob("**/*")) == []


def test_synth_ignores_cdk_context_keys(tmp_path):
    context = {"@aws-cdk/core:newStyleStackSynthesis": True, "aws:cdk:enable-path-metadata": True, "stage": "qa"}

    result = run_app(tmp_path, context)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "NtmTuning-qa.template.json").is_file()


def test_set_with_misspelt_section_names_closest(capsys):
    status = main(["validate", str(REPO_ROOT / "config/default.toml"), "--set", "tunning.max_training_jobs=5"])

    assert status == 2
    assert 'the key names no configuration section or key. Did you mean "tuning"?' in capsys.readouterr().err


def run_app(tmp_path, context: dict, region: str = "us-east-1") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path / "out"),
        "CDK_DEFAULT_REGION": region,
    }
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_synth_stops_on_invalid_configuration(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CONFIG)

    result = run_app(tmp_path, {"config": str(path)})

    assert result.returncode != 0
    assert "Invalid configuration; nothing was synthesized" in result.stderr
    assert "objective.metric: 'validation:loss' is invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "out").glob("**/*")) == []


def test_synth_stops_on_unsupported_region(tmp_path):
    result = run_app(tmp_path, {}, region="mx-central-1")

    assert result.returncode != 0
    assert "region: 'mx-central-1' is invalid: SageMaker publishes no NTM image there" in result.stderr
    assert "Traceback" not in result.stderr


def test_set_changes_one_range_bound(capsys):
    status = main(["validate", str(REPO_ROOT / "config/default.toml"), "--set", "ranges.learning_rate.max=0.05"])

    summary = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    ranges = summary["HyperParameterTuningJobConfig"]["ParameterRanges"]
    [learning_rate] = [item for item in ranges["ContinuousParameterRanges"] if item["Name"] == "learning_rate"]
    assert status == 0
    assert (learning_rate["MinValue"], learning_rate["MaxValue"]) == ("0.0001", "0.05")
    names = [item["Name"] for group in ranges.values() for item in group]
    assert len(names) == 6
