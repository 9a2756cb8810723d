"""Fixtures for running the synthesized workflow in moto with scripted SageMaker responses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ntm_spec.dataset import (
    MANIFEST_NAME,
    RECORDIO_CONTENT_TYPE,
    VOCABULARY_KEY,
    Channel,
    DataFile,
    Manifest,
    VocabularyFile,
    manifest_to_dict,
    shard_key,
)
from ntm_tune.rehearsal.harness import Rehearsal, RunResult
from ntm_tune.rehearsal.scenario import Scenario, load_scenario
from ntm_tune.rehearsal.workflow import Workflow

DATASET = "corpus"
VERSION = "v1"
MANUAL_START = {"dataset": DATASET, "version": VERSION}
# Short, so that a test of a run that never ends fails fast. A normal run takes well under 1 s.
TIME_LIMIT_SECONDS = 10.0


@pytest.fixture(scope="session")
def workflow(template_dict) -> Workflow:
    return Workflow.from_template(template_dict)


def write_dataset(folder: Path, *, feature_dim: int = 5, vocabulary_lines: int | None = None) -> Path:
    """Write a small dataset folder in the layout that `ntm-tune prepare` writes.

    The workflow reads only the manifest, so each channel contains one short
    placeholder shard. No training job reads it in a rehearsal.
    """
    lines = feature_dim if vocabulary_lines is None else vocabulary_lines
    channels = []
    for name, documents in (("train", 40), ("validation", 10)):
        shard = folder / shard_key(name, 0)
        shard.parent.mkdir(parents=True, exist_ok=True)
        shard.write_bytes(b"\x0a\x23\xd7\xce")
        files = (DataFile(shard_key(name, 0), shard.stat().st_size, _sha256(shard)),)
        channels.append(Channel(name, documents, nonzeros=documents * 10, files=files))
    vocabulary = folder / VOCABULARY_KEY
    vocabulary.parent.mkdir(exist_ok=True)
    vocabulary.write_text("".join(f"word{index}\n" for index in range(lines)), encoding="utf-8")
    manifest = Manifest(
        feature_dim=feature_dim,
        content_type=RECORDIO_CONTENT_TYPE,
        channels=tuple(channels),
        vocabulary_file=VocabularyFile(VOCABULARY_KEY, lines, vocabulary.stat().st_size, _sha256(vocabulary)),
    )
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest_to_dict(manifest)))
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("dataset"))


@pytest.fixture
def rehearse(workflow, dataset_dir):
    """Return a function that runs one execution and returns its RunResult.

    `scenario` is a bundled scenario's name or a Scenario. `definition`
    replaces the synthesized definition, to show what a wrong one would do.
    """

    def run(
        scenario: str | Scenario,
        execution_input: dict | None = None,
        *,
        definition: dict | None = None,
        dataset: Path | None = dataset_dir,
        time_limit_seconds: float = TIME_LIMIT_SECONDS,
    ) -> RunResult:
        target = workflow if definition is None else Workflow.from_template(workflow.template, definition)
        scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        with Rehearsal(target, scenario, time_limit_seconds=time_limit_seconds) as rehearsal:
            if dataset is not None:
                rehearsal.upload_dataset(dataset, dataset=DATASET, version=VERSION)
            return rehearsal.run(execution_input or MANUAL_START)

    return run
