"""Choose the parents of a warm-started tuning job from a dataset's run history.

SageMaker's rules (Developer Guide, "Run a Warm Start Hyperparameter Tuning
Job"): at most 5 parents, all ended; the same objective; the same set of static
and tuned hyperparameter names. `IdenticalDataAndAlgorithm` is for the same
data, `TransferLearning` for changed data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_PARENTS = 5


@dataclass(frozen=True)
class WarmStart:
    parents: tuple[str, ...]
    warm_start_type: str | None  # None means a cold start
    reason: str

    def to_api(self) -> dict[str, object] | None:
        """Return `WarmStartConfig`, or None for a cold start."""
        if not self.parents:
            return None
        return {
            "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": name} for name in self.parents],
            "WarmStartType": self.warm_start_type,
        }


def hyperparameter_names(tuning_job_config: Mapping[str, object], static: Mapping[str, str]) -> list[str]:
    """Return the sorted names of every static and tuned hyperparameter of a request."""
    ranges = tuning_job_config.get("ParameterRanges") or {}
    tuned = {item["Name"] for group in ranges.values() for item in group}  # type: ignore[union-attr]
    return sorted(tuned | set(static))


def choose_parents(history: Iterable[Mapping[str, object]], *, version: str, names: list[str]) -> WarmStart:
    """Pick up to 5 of the newest succeeded runs whose hyperparameter names equal `names`.

    `history` is the dataset's run records, newest first, as the recorder writes
    them (`outcome`, `tuningJobName`, `version`, `hyperParameterNames`).
    """
    succeeded = [record for record in history if record.get("outcome") == "succeeded" and record.get("tuningJobName")]
    if not succeeded:
        return WarmStart((), None, "no earlier run of this dataset succeeded")

    matching = [record for record in succeeded if list(record.get("hyperParameterNames") or []) == names]
    if not matching:
        return WarmStart(
            (),
            None,
            f"none of the {len(succeeded)} succeeded runs tuned the same hyperparameter names, "
            "which SageMaker requires of warm-start parents",
        )

    parents = matching[:MAX_PARENTS]
    same_data = all(record.get("version") == version for record in parents)
    warm_start_type = "IdenticalDataAndAlgorithm" if same_data else "TransferLearning"
    reason = (
        f"{len(parents)} parent(s) on the same dataset version"
        if same_data
        else f"{len(parents)} parent(s), some on another dataset version"
    )
    return WarmStart(tuple(str(record["tuningJobName"]) for record in parents), warm_start_type, reason)
