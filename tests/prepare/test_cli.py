"""The `prepare` subcommand's wiring: help text, fast start, and the exit status of a run."""

from __future__ import annotations

import subprocess
import sys

from tests.prepare.support import REPOSITORY

# What the `ntm-tune` console script runs. `python -m ntm_tune.cli` would load cli.py a
# second time as __main__, with a UsageError class of its own.
ENTRY_POINT = [sys.executable, "-c", "import sys; from ntm_tune.cli import main; sys.exit(main())"]


def test_help_loads_no_heavy_modules():
    code = (
        "import sys\n"
        "from ntm_tune.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = sorted(name for name in ('numpy', 'scipy', 'sklearn', 'boto3') if name in sys.modules)\n"
        "print(','.join(heavy))\n"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == ""


def test_prepare_help_lists_options():
    result = subprocess.run(
        [*ENTRY_POINT, "prepare", "--help"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )

    for option in (
        "--out",
        "--text-field",
        "--text-column",
        "--vocabulary",
        "--vocabulary-size",
        "--min-df",
        "--max-df",
        "--stop-words",
        "--lowercase",
        "--token-pattern",
        "--validation-fraction",
        "--test-fraction",
        "--seed",
        "--records-per-shard",
        "--encoding",
        "--format",
    ):
        assert option in result.stdout


def test_command_line_run_exits_with_status(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"valid line\n\xff\n")

    result = subprocess.run(
        [*ENTRY_POINT, "prepare", str(corpus), "--out", str(tmp_path / "v1")],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 2
    assert result.stderr.startswith(f"ntm-tune prepare: {corpus}: line 2, byte offset 11: byte 0xff is invalid utf-8")
    assert not (tmp_path / "v1").exists()
