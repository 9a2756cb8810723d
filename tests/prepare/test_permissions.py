"""A prepared dataset folder gets ordinary permissions, not the staging folder's private ones."""

from __future__ import annotations

import os

from ntm_tune.cli import main


def test_published_folder_follows_umask(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(f"apple banana cherry document {index} fruit salad\n" for index in range(40)))
    destination = tmp_path / "news" / "v1"
    umask = os.umask(0o022)
    try:
        status = main(["prepare", str(corpus), "--out", str(destination)])
    finally:
        os.umask(umask)

    assert status == 0, capsys.readouterr().err
    assert destination.stat().st_mode & 0o777 == 0o755
