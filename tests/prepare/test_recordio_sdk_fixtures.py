"""Byte identity with the SageMaker Python SDK 2.x writer, through fixtures that SDK wrote.

benchmarks/make_sdk_fixtures.py wrote each NAME.npz and the SDK's NAME.pbr for it;
fixtures/provenance.json records the command and the SDK version.
"""

from __future__ import annotations

import io
import json

import pytest
import scipy.sparse as sp

from ntm_tune.prepare.recordio import write_sparse_records
from tests.prepare.support import FIXTURES

CASES = sorted(path.stem for path in FIXTURES.glob("*.npz"))


def test_fixtures_come_from_sdk_2():
    provenance = json.loads((FIXTURES / "provenance.json").read_text())

    assert provenance["versions"]["sagemaker"].startswith("2.")
    assert sorted(provenance["cases"]) == CASES
    assert len(CASES) >= 6


@pytest.mark.parametrize("name", CASES)
def test_output_equals_sdk_bytes(name):
    matrix = sp.load_npz(FIXTURES / f"{name}.npz")
    buffer = io.BytesIO()

    write_sparse_records(buffer, sp.csr_matrix(matrix), block_nonzeros=1000)

    assert buffer.getvalue() == (FIXTURES / f"{name}.pbr").read_bytes()
