"""Choosing warm-start parents from a dataset's run history."""

from __future__ import annotations

from ntm_spec.warm_start import MAX_PARENTS, choose_parents, hyperparameter_names

NAMES = ["epochs", "feature_dim", "learning_rate", "num_topics", "optimizer"]


def record(index: int, *, version: str = "v2", names: list[str] | None = None, outcome: str = "succeeded") -> dict:
    return {
        "outcome": outcome,
        "tuningJobName": f"ntm-dev-2612{index:02d}000000-abcd",
        "version": version,
        "hyperParameterNames": NAMES if names is None else names,
    }


def test_more_than_five_candidates_keeps_newest_five():
    history = [record(index) for index in range(8)]

    warm_start = choose_parents(history, version="v2", names=NAMES)

    assert warm_start.parents == tuple(item["tuningJobName"] for item in history[:MAX_PARENTS])
    assert warm_start.warm_start_type == "IdenticalDataAndAlgorithm"


def test_different_hyperparameter_names_excluded():
    other = [*NAMES, "batch_norm"]
    history = [record(0, names=other), record(1), record(2, names=other)]

    warm_start = choose_parents(history, version="v2", names=NAMES)

    assert warm_start.parents == (history[1]["tuningJobName"],)


def test_changed_dataset_version_uses_transfer_learning():
    history = [record(0, version="v2"), record(1, version="v1")]

    warm_start = choose_parents(history, version="v2", names=NAMES)

    assert warm_start.warm_start_type == "TransferLearning"
    assert warm_start.to_api()["WarmStartType"] == "TransferLearning"
    assert len(warm_start.to_api()["ParentHyperParameterTuningJobs"]) == 2


def test_no_candidates_starts_cold_with_reason():
    warm_start = choose_parents([record(0, outcome="failed"), record(1, outcome="skipped")], version="v2", names=NAMES)

    assert warm_start.parents == ()
    assert warm_start.to_api() is None
    assert warm_start.reason == "no earlier run of this dataset succeeded"


def test_only_mismatched_candidates_starts_cold():
    warm_start = choose_parents([record(0, names=["num_topics"])], version="v2", names=NAMES)

    assert warm_start.to_api() is None
    assert warm_start.reason.startswith("none of the 1 succeeded runs tuned the same hyperparameter names")


def test_hyperparameter_names_cover_static_and_tuned():
    config = {
        "ParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "learning_rate"}],
            "CategoricalParameterRanges": [{"Name": "optimizer"}],
        }
    }

    assert hyperparameter_names(config, {"num_topics": "20", "feature_dim": "5"}) == [
        "feature_dim",
        "learning_rate",
        "num_topics",
        "optimizer",
    ]
