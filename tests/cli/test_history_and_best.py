"""`ntm-tune history` and `ntm-tune best` on a run-history table in moto."""

from __future__ import annotations

import json

from ntm_tune.cli import main
from tests.cli.conftest import run_item


def test_history_table_newest_first(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", version="v1", objective_value=7.25, suffix="aaaa"))
    deployed.put_run(
        **run_item("2026-12-01T10:00:00+00:00", version="v2", objective_value=6.5, gpu_hours=3.25, suffix="bbbb")
    )
    deployed.put_run(
        **run_item(
            "2026-11-15T10:00:00+00:00",
            version="v2",
            outcome="rejected",
            reason="overrides.num_topics: 1 is invalid",
            suffix="cccc",
        )
    )

    status = main(["history"])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].split() == [
        "STARTED",
        "(UTC)",
        "DATASET",
        "VERSION",
        "TRIGGER",
        "OUTCOME",
        "BEST",
        "validation:total_loss",
        "GPU",
        "HOURS",
        "RUN",
        "ID",
        "REASON",
    ]
    assert len(lines) == 4
    assert lines[1].split()[:9] == [
        "2026-12-01",
        "10:00",
        "news",
        "v2",
        "manual",
        "succeeded",
        "6.5",
        "3.25",
        "ntm-dev-261201100000-bbbb",
    ]
    assert lines[2].split()[:7] == ["2026-11-15", "10:00", "news", "v2", "manual", "rejected", "-"]
    assert lines[2].endswith("overrides.num_topics: 1 is invalid")
    # A run recorded before GPU hours were recorded shows "-".
    assert lines[3].split()[5:8] == ["succeeded", "7.25", "-"]


def test_history_json_and_dataset_filter(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", dataset="news", suffix="aaaa"))
    deployed.put_run(**run_item("2026-11-02T10:00:00+00:00", dataset="papers", gpu_hours=1.5, suffix="bbbb"))

    status = main(["history", "--dataset", "papers", "--json"])

    records = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [record["dataset"] for record in records] == ["papers"]
    assert records[0]["gpuHours"] == 1.5
    assert records[0]["billableTrainingSeconds"] is None
    assert records[0]["startedAt"] == "2026-11-02T10:00:00+00:00"


def test_history_limit(deployed, capsys):
    for day in range(1, 6):
        deployed.put_run(**run_item(f"2026-11-0{day}T10:00:00+00:00", suffix=f"000{day}"))

    status = main(["history", "--limit", "2", "--json"])

    records = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [record["startedAt"][:10] for record in records] == ["2026-11-05", "2026-11-04"]


def test_history_empty(deployed, capsys):
    status = main(["history", "--dataset", "news"])

    assert status == 0
    assert "No runs of dataset news are recorded in RunHistory." in capsys.readouterr().out


def test_best_picks_lowest_succeeded_loss(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", version="v1", objective_value=6.1, suffix="aaaa"))
    deployed.put_run(**run_item("2026-12-01T10:00:00+00:00", version="v2", objective_value=6.9, suffix="bbbb"))
    deployed.put_run(
        **run_item("2026-12-02T10:00:00+00:00", version="v2", outcome="failed", objective_value=None, suffix="cccc")
    )

    status = main(["best", "--json"])

    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert sorted(result) == sorted(
        [
            "schemaVersion",
            "dataset",
            "version",
            "runId",
            "executionName",
            "startedAt",
            "tuningJobName",
            "trainingJobName",
            "objectiveMetric",
            "objectiveValue",
            "hyperParameters",
            "modelArtifactS3Uri",
            "summaryS3Uri",
        ]
    )
    assert result["schemaVersion"] == 1
    assert result["objectiveValue"] == 6.1
    assert result["runId"] == "ntm-dev-261101100000-aaaa"
    assert result["trainingJobName"] == "ntm-dev-261101100000-aaaa-007-abcdef12"
    assert result["hyperParameters"] == {"learning_rate": "0.0123", "optimizer": "adam"}
    assert result["modelArtifactS3Uri"].endswith("/ntm-dev-261101100000-aaaa-007-abcdef12/output/model.tar.gz")


def test_best_of_one_version(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", version="v1", objective_value=6.1, suffix="aaaa"))
    deployed.put_run(**run_item("2026-12-01T10:00:00+00:00", version="v2", objective_value=6.9, suffix="bbbb"))

    status = main(["best", "--version", "v2"])

    output = capsys.readouterr().out
    assert status == 0
    assert "ntm-dev-261201100000-bbbb-007-abcdef12" in output
    assert "  learning_rate = 0.0123" in output


def test_best_needs_dataset_when_several(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", dataset="news", suffix="aaaa"))
    deployed.put_run(**run_item("2026-11-02T10:00:00+00:00", dataset="papers", suffix="bbbb"))

    status = main(["best"])

    assert status == 2
    assert "several datasets (news, papers). Pass --dataset NAME" in capsys.readouterr().err


def test_best_without_succeeded_run(deployed, capsys):
    deployed.put_run(**run_item("2026-11-01T10:00:00+00:00", outcome="failed", objective_value=None, suffix="aaaa"))

    status = main(["best", "--dataset", "news"])

    assert status == 1
    assert "no succeeded run of dataset news is recorded in RunHistory" in capsys.readouterr().err
