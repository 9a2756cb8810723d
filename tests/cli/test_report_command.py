"""`ntm-tune report`: training jobs from a stubbed SageMaker client, run history from moto."""

from __future__ import annotations

import random
from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

import ntm_tune.reporting.plots
from ntm_tune.cli import main
from tests.cli.conftest import run_item, utc

STARTED = "2026-12-01T10:00:00+00:00"
TUNING_JOB = "ntm-dev-261201100000-bbbb"
RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "0.1", "ScalingType": "Logarithmic"},
        {"Name": "weight_decay", "MinValue": "0.0", "MaxValue": "1.0", "ScalingType": "Linear"},
    ],
    "IntegerParameterRanges": [
        {"Name": "mini_batch_size", "MinValue": "16", "MaxValue": "2048", "ScalingType": "Logarithmic"}
    ],
    "CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["sgd", "adam", "adadelta"]}],
}


def training_job_summaries(count: int, failed: set[int]) -> list[dict]:
    generator = random.Random(7)
    summaries = []
    for index in range(count):
        summary = {
            "TrainingJobName": f"{TUNING_JOB}-{index + 1:03d}-{index:08x}",
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{TUNING_JOB}-{index + 1:03d}",
            "CreationTime": utc("2026-12-01T10:01:00") + timedelta(minutes=7 * index),
            "TrainingJobStatus": "Failed" if index in failed else "Completed",
            "TunedHyperParameters": {
                "learning_rate": f"{10 ** generator.uniform(-4, -1):.6f}",
                "weight_decay": f"{generator.uniform(0, 1):.4f}",
                "mini_batch_size": str(int(2 ** generator.uniform(4, 11))),
                "optimizer": generator.choice(["sgd", "adam", "adadelta"]),
            },
        }
        if index not in failed:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "MetricName": "validation:total_loss",
                "Value": round(generator.uniform(6.0, 8.0), 4),
            }
        summaries.append(summary)
    return summaries


def describe_response() -> dict:
    return {
        "HyperParameterTuningJobName": TUNING_JOB,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{TUNING_JOB}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": RANGES,
        },
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": utc("2026-12-01T10:00:30"),
        "TrainingJobStatusCounters": {"Completed": 10, "NonRetryableError": 2},
        "ObjectiveStatusCounters": {"Succeeded": 10, "Failed": 2},
    }


@pytest.fixture
def sagemaker(stub_clients):
    client = boto3.client("sagemaker", region_name="us-east-1")
    stub_clients["sagemaker"] = client
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def figures(monkeypatch):
    """Collect each figure that the command saves, then save it as the command would."""
    saved = []
    original = ntm_tune.reporting.plots.save_figure

    def save_and_keep(figure, path):
        saved.append(figure)
        original(figure, path)

    monkeypatch.setattr(ntm_tune.reporting.plots, "save_figure", save_and_keep)
    return saved


def add_history(deployed) -> None:
    deployed.put_run(**run_item("2026-10-01T10:00:00+00:00", version="v1", objective_value=7.4, suffix="aaaa"))
    deployed.put_run(
        **run_item("2026-11-01T10:00:00+00:00", version="v1", outcome="failed", objective_value=None, suffix="cccc")
    )
    deployed.put_run(**run_item(STARTED, version="v2", objective_value=6.2, suffix="bbbb"))
    deployed.put_run(**run_item("2026-11-20T10:00:00+00:00", dataset="papers", objective_value=3.0, suffix="dddd"))


def test_report_plots_every_training_job(deployed, sagemaker, figures, tmp_path, capsys):
    add_history(deployed)
    summaries = training_job_summaries(12, failed={3, 8})
    sagemaker.add_response(
        "describe_hyper_parameter_tuning_job", describe_response(), {"HyperParameterTuningJobName": TUNING_JOB}
    )
    # Two pages, so the report must follow NextToken.
    pages = [summaries[:7], summaries[7:]]
    sagemaker.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job",
        {"TrainingJobSummaries": pages[0], "NextToken": "page-2"},
        {"HyperParameterTuningJobName": TUNING_JOB, "SortBy": "CreationTime", "SortOrder": "Ascending"},
    )
    sagemaker.add_response(
        "list_training_jobs_for_hyper_parameter_tuning_job",
        {"TrainingJobSummaries": pages[1]},
        {
            "HyperParameterTuningJobName": TUNING_JOB,
            "SortBy": "CreationTime",
            "SortOrder": "Ascending",
            "NextToken": "page-2",
        },
    )
    out = tmp_path / "report.png"

    status = main(["report", "ntm-dev-261201100000-bbbb", "--out", str(out)])

    assert status == 0
    assert "12 training jobs (10 with an objective value), 3 runs of dataset news" in capsys.readouterr().out
    figure = figures[0]
    axes = figure.get_axes()
    # Launch order, four tuned hyperparameters, history.
    assert len(axes) == 6

    launch = axes[0]
    points = launch.collections[0].get_offsets()
    scored = [summary for summary in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in summary]
    expected_values = [summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for summary in scored]
    assert len(points) == len(scored)
    assert list(points[:, 1]) == expected_values
    assert list(points[:, 0]) == [index + 1 for index in range(12) if index not in {3, 8}]
    running_best = launch.get_lines()[0].get_ydata()
    assert list(running_best) == [min(expected_values[: index + 1]) for index in range(len(expected_values))]

    by_title = {axis.get_title().split(" ")[0]: axis for axis in axes[1:5]}
    assert by_title["learning_rate"].get_xscale() == "log"
    assert by_title["mini_batch_size"].get_xscale() == "log"
    assert by_title["weight_decay"].get_xscale() == "linear"
    assert [label.get_text() for label in by_title["optimizer"].get_xticklabels()] == ["sgd", "adam", "adadelta"]
    for axis in axes[1:5]:
        assert len(axis.collections[0].get_offsets()) == len(scored)

    history_line = axes[5].get_lines()[0]
    # Succeeded runs of dataset news only, oldest first.
    assert list(history_line.get_ydata()) == [7.4, 6.2]

    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 1280)
        colors = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colors) > 50
    assert out.stat().st_size > 30_000


def test_report_of_rejected_run(deployed, tmp_path, capsys):
    deployed.put_run(
        **run_item(STARTED, outcome="rejected", reason="overrides.num_topics: 1 is invalid", suffix="eeee")
    )

    status = main(["report", "manual-news-v1-eeee", "--out", str(tmp_path / "r.png")])

    assert status == 2
    assert "was rejected before a tuning job started" in capsys.readouterr().err


def test_report_needs_png_name(tmp_path, capsys):
    status = main(["report", "--out", str(tmp_path / "report.pdf")])

    assert status == 2
    assert "the report is a PNG image" in capsys.readouterr().err


def test_report_unknown_run(deployed, tmp_path, capsys):
    deployed.put_run(**run_item(STARTED, suffix="bbbb"))

    status = main(["report", "no-such-run", "--out", str(tmp_path / "r.png")])

    assert status == 2
    assert "no run 'no-such-run' is in the run history" in capsys.readouterr().err
