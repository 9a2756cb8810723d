"""`ntm-tune --help` must not import the heavy libraries that only some commands need."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.synth import REPO_ROOT

HEAVY_MODULES = ("aws_cdk", "boto3", "botocore", "matplotlib", "numpy", "scipy", "sklearn", "moto")
PROBE = """
import sys
from ntm_tune.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = {heavy!r}
print("imported:" + ",".join(name for name in heavy if name in sys.modules))
"""


@pytest.mark.parametrize("arguments", [["--help"], ["report", "--help"], ["watch", "--help"], ["start", "--help"]])
def test_help_imports_no_heavy_module(arguments):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY_MODULES), *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    imported = result.stdout.rstrip("\n").splitlines()[-1]
    assert imported == "imported:"
    assert "usage: ntm-tune" in result.stdout
