"""Bad per-run input ends the run in the first state, before any SageMaker call."""

from __future__ import annotations

from tests.workflow.conftest import MANUAL_START, write_dataset

REJECTED_PATH = ["Validate run", "Record failure", "Notify operators", "Run failed"]


def only(items):
    assert len(items) == 1, items
    return items[0]


def assert_rejected_before_sagemaker(result) -> dict:
    """Check the common end of a rejected run and return its record."""
    record = only(result.records)
    assert result.status == "FAILED"
    assert result.states == REJECTED_PATH
    assert result.create_requests == []
    assert result.describe_callers == []
    assert record["outcome"] == "rejected"
    assert only(result.notifications).message_json["outcome"] == "rejected"
    return record


def test_unknown_override_rejected(rehearse):
    result = rehearse("completed", {**MANUAL_START, "overrides": {"learning_rat": 0.01}})

    record = assert_rejected_before_sagemaker(result)
    assert "overrides.learning_rat" in record["reason"]
    assert "num_topics" in record["reason"], "the message lists the allowed overrides"


def test_override_out_of_range_rejected(rehearse):
    result = rehearse("completed", {**MANUAL_START, "overrides": {"max_parallel_training_jobs": 0}})

    record = assert_rejected_before_sagemaker(result)
    assert "max_parallel_training_jobs" in record["reason"]


def test_dataset_without_manifest_rejected(rehearse):
    result = rehearse("completed", dataset=None)

    record = assert_rejected_before_sagemaker(result)
    assert "has no manifest" in record["reason"]
    assert "datasets/corpus/v1/manifest.json" in record["reason"]


def test_vocabulary_size_mismatch_rejected(rehearse, tmp_path):
    dataset = write_dataset(tmp_path, feature_dim=5, vocabulary_lines=4)

    result = rehearse("completed", dataset=dataset)

    record = assert_rejected_before_sagemaker(result)
    assert "vocab.txt" in record["reason"]
    assert "(5)" in record["reason"]


def test_rejection_names_execution(rehearse):
    result = rehearse("completed", {"dataset": "corpus", "version": "v1/../v2"})

    record = assert_rejected_before_sagemaker(result)
    assert "version" in record["reason"]
    assert record["executionName"] == result.execution_arn.rsplit(":", 1)[1]
    assert record["trigger"] == "manual"
