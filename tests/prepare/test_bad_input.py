"""Rejected input: exit status 2, one message naming input, value, rule and fix, and nothing written."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ntm_tune.cli import main


def assert_rejected(result, *fragments: str) -> None:
    status, out, err = result
    assert status == 2
    assert out == ""
    assert err.startswith("ntm-tune prepare: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def assert_nothing_written(parent) -> None:
    assert sorted(path.name for path in parent.iterdir()) == ["input"]


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "input").mkdir()
    return tmp_path


def test_invalid_utf8_byte_located(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_bytes(b"first line\r\nsecond caf\xe9\nthird\n")

    result = prepare(corpus, "--out", workspace / "out" / "v1")

    assert_rejected(result, f"{corpus}: line 2, byte offset 22: byte 0xe9 is invalid utf-8", "--encoding latin-1")
    assert_nothing_written(workspace)


def test_invalid_utf8_in_folder_file(prepare, workspace):
    folder = workspace / "input" / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("fine words here")
    (folder / "b.txt").write_bytes(b"line one\nline \xff two")

    result = prepare(folder, "--out", workspace / "v1")

    assert_rejected(result, f"{folder / 'b.txt'}: line 2, byte offset 14: byte 0xff is invalid utf-8")
    assert_nothing_written(workspace)


def test_empty_file_rejected(prepare, workspace):
    corpus = workspace / "input" / "empty.txt"
    corpus.write_bytes(b"")

    assert_rejected(prepare(corpus, "--out", workspace / "v1"), f"{corpus}: the input contains no documents")
    assert_nothing_written(workspace)


def test_cr_only_line_ends_rejected(prepare, workspace):
    corpus = workspace / "input" / "classic-mac.txt"
    corpus.write_bytes(b"alpha beta\rgamma delta\ralpha gamma\r")

    assert_rejected(
        prepare(corpus, "--out", workspace / "v1"), f"{corpus}: the file has carriage returns (CR) but no line feed"
    )
    assert_nothing_written(workspace)


def test_blank_lines_only_rejected(prepare, workspace):
    corpus = workspace / "input" / "blank.txt"
    corpus.write_text("\n \n\t\n")

    assert_rejected(prepare(corpus, "--out", workspace / "v1"), "the input contains no words after tokenizing")
    assert_nothing_written(workspace)


def test_vocabulary_length_mismatch_rejected(prepare, workspace):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.ones((4, 3), dtype=np.float32)))
    (workspace / "input" / "vocab.txt").write_text("one\ntwo\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "2 words is invalid", "has 3 columns", "one word per line, in column order")
    assert_nothing_written(workspace)


def test_duplicate_vocabulary_word_rejected(prepare, workspace):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.ones((4, 3), dtype=np.float32)))
    (workspace / "input" / "vocab.txt").write_text("one\ntwo\none\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "word 'one' on line 3 is invalid: it repeats line 1")


def test_negative_counts_rejected(prepare, workspace):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.array([[1, -2], [0, 1]], dtype=np.float32)))
    (workspace / "input" / "vocab.txt").write_text("a\nb\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "must be finite and not negative")


def test_not_an_npz_file_rejected(prepare, workspace):
    (workspace / "input" / "counts.npz").write_bytes(b"PK\x03\x04 but not a zip archive")
    (workspace / "input" / "vocab.txt").write_text("a\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "it is not a sparse matrix that scipy.sparse.save_npz wrote", "File is not a zip file")


def test_text_file_as_npz_without_numpy_hint(prepare, workspace):
    (workspace / "input" / "counts.npz").write_text("a text file")
    (workspace / "input" / "vocab.txt").write_text("a\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "it is not a sparse matrix that scipy.sparse.save_npz wrote. Save the matrix")
    assert "allow_pickle" not in result[2]


def test_empty_vocabulary_word_rejected(prepare, workspace):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.ones((4, 2), dtype=np.float32)))
    (workspace / "input" / "vocab.txt").write_text("one\n\n")

    result = prepare(
        workspace / "input" / "counts.npz", "--vocabulary", workspace / "input" / "vocab.txt", "--out", workspace / "v1"
    )

    assert_rejected(result, "word 2 ('') is invalid", "Write one word on each line of the vocabulary file")
    assert "--token-pattern" not in result[2]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--token-pattern", "x"), "--token-pattern is invalid for .npz input"),
        (("--no-lowercase",), "--lowercase is invalid for .npz input"),
        (("--lowercase", "--token-pattern", "x"), "--lowercase and --token-pattern are invalid for .npz input"),
    ],
)
def test_text_options_rejected_for_npz(prepare, workspace, options, fragment):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.ones((4, 2), dtype=np.float32)))
    (workspace / "input" / "vocab.txt").write_text("one\ntwo\n")

    result = prepare(
        workspace / "input" / "counts.npz",
        "--vocabulary",
        workspace / "input" / "vocab.txt",
        "--out",
        workspace / "v1",
        *options,
    )

    assert_rejected(result, fragment)


def test_npz_without_vocabulary_rejected(prepare, workspace):
    sp.save_npz(workspace / "input" / "counts.npz", sp.csr_matrix(np.ones((4, 3), dtype=np.float32)))

    assert_rejected(prepare(workspace / "input" / "counts.npz", "--out", workspace / "v1"), "--vocabulary is missing")


def test_existing_local_version_never_overwritten(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\n")
    dest = workspace / "v1"
    dest.mkdir()
    (dest / "manifest.json").write_text("{}")

    result = prepare(corpus, "--out", dest)

    assert_rejected(result, f"{dest}: the destination folder is not empty", "Choose a new version")
    assert (dest / "manifest.json").read_text() == "{}"
    assert sorted(path.name for path in dest.iterdir()) == ["manifest.json"]


def test_existing_empty_folder_is_filled(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\n")
    (workspace / "v1").mkdir()

    assert prepare(corpus, "--out", workspace / "v1")[0] == 0
    assert (workspace / "v1" / "manifest.json").is_file()


def test_second_run_to_same_version_rejected(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\n")
    assert prepare(corpus, "--out", workspace / "v1")[0] == 0
    manifest = (workspace / "v1" / "manifest.json").read_bytes()

    assert_rejected(prepare(corpus, "--out", workspace / "v1"), "Choose a new version")
    assert (workspace / "v1" / "manifest.json").read_bytes() == manifest


@pytest.mark.parametrize(
    ("content", "options", "fragments"),
    [
        ('{"text": "a b"}\n[1, 2]\n', (), ["line 2: field 'text' is invalid ('no such field')", "--text-field"]),
        ('{"text": "a b"}\n{"text": 3}\n', (), ["line 2: field 'text' is invalid (3)"]),
        ('{"text": "a b"}\n{"text": "c d"\n', (), ["line 2 is invalid: Expecting ',' delimiter"]),
    ],
)
def test_bad_json_lines_rejected(prepare, workspace, content, options, fragments):
    corpus = workspace / "input" / "corpus.jsonl"
    corpus.write_text(content)

    assert_rejected(prepare(corpus, "--out", workspace / "v1", *options), str(corpus), *fragments)
    assert_nothing_written(workspace)


def test_missing_csv_column_rejected(prepare, workspace):
    corpus = workspace / "input" / "corpus.csv"
    corpus.write_text("id,body\n1,some text\n")

    assert_rejected(
        prepare(corpus, "--out", workspace / "v1"),
        "column 'text' is missing from the header ['id', 'body']",
        "--text-column",
    )


def test_unterminated_csv_quote_rejected(prepare, workspace):
    corpus = workspace / "input" / "corpus.csv"
    rows = [f"{number},word{number} alpha beta" for number in range(20)]
    rows[4] = '4,"word4 alpha beta'
    corpus.write_text("id,text\n" + "\n".join(rows) + "\n")

    result = prepare(corpus, "--out", workspace / "v1")

    assert_rejected(result, f"{corpus}: line 6 is invalid CSV: a quoted field", "is never closed")
    assert_nothing_written(workspace)


def test_short_csv_row_rejected(prepare, workspace):
    corpus = workspace / "input" / "corpus.csv"
    corpus.write_text("id,text\n1,some text\n2\n")

    assert_rejected(prepare(corpus, "--out", workspace / "v1"), "line 3: the row has 1 fields")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--encoding", "no-such-codec"), "--encoding 'no-such-codec' is invalid: Python knows no such codec"),
        (("--encoding", "utf-16"), "--encoding 'utf-16' is invalid: lines are split at the byte 0x0A"),
        (("--token-pattern", "(a)(b)"), "it has 2 capturing groups"),
        (("--token-pattern", "(unclosed"), "--token-pattern '(unclosed' is invalid: missing )"),
        (("--validation-fraction", "0.6", "--test-fraction", "0.5"), "the train channel would be empty"),
        (("--stop-words", "missing-stop-words.txt"), "--stop-words 'missing-stop-words.txt' is invalid: no such file"),
        (("--stop-words", "."), "--stop-words '.' is invalid: it is a folder"),
        (("--format", "folder"), "the folder is not found"),
        (("--vocabulary", "vocab.txt"), "--vocabulary is invalid for lines input"),
        (("--min-df", "3", "--max-df", "1"), "--min-df 3 and --max-df 1 are invalid together"),
    ],
)
def test_bad_option_rejected(prepare, workspace, options, fragment):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\nbeta delta\n")

    assert_rejected(prepare(corpus, "--out", workspace / "v1", *options), fragment)
    assert_nothing_written(workspace)


@pytest.mark.parametrize(
    "dest",
    [
        "s3://bucket/other/news/v1/",
        "s3://bucket/datasets/news/",
        "s3://bucket/datasets/news/v1/extra/",
        "s3:///datasets/news/v1/",
        "gs://bucket/datasets/news/v1/",
    ],
)
def test_bad_destination_uri_rejected(prepare, workspace, dest):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\n")

    assert_rejected(prepare(corpus, "--out", dest), f"DEST {dest!r} is invalid")


def test_folder_with_file_format_rejected(prepare, workspace):
    assert_rejected(
        prepare(workspace / "input", "--format", "lines", "--out", workspace / "v1"),
        "the input is a folder, but --format lines reads a file",
        "--format folder",
    )


def test_working_folder_destination_rejected(prepare, workspace, monkeypatch):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\n")
    empty = workspace / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)

    for dest in (".", "", ".."):
        assert_rejected(prepare(corpus, "--out", dest), "the destination is the working folder or contains it")
    assert list(empty.iterdir()) == []


def test_max_df_one_prints_note(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha epsilon\nzeta eta\n")

    status, _out, err = prepare(corpus, "--out", workspace / "v1", "--max-df", "1")

    assert status == 0
    assert "note: --max-df 1 is a document count" in err
    assert "pass --max-df 1.0" in err


def test_counts_of_one_are_singular(prepare, workspace):
    corpus = workspace / "input" / "corpus.txt"
    corpus.write_text("alpha beta\ngamma delta\nalpha gamma\n")

    status, out, _err = prepare(corpus, "--out", workspace / "v1", "--validation-fraction", "0.2")

    assert status == 0
    assert "validation 1 document in 1 file" in out
    assert "Dropped 0 documents" in out


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--min-df", "-2"), "'-2' is invalid: expected a document count of at least 1 or a fraction from 0.0 to 1.0"),
        (("--seed", "-1"), "argument --seed: '-1' is invalid: expected an integer of at least 0"),
        (("--validation-fraction", "0"), "'0' is invalid: NTM needs a validation channel"),
        (("--records-per-shard", "0"), "'0' is invalid: expected an integer of at least 1"),
    ],
)
def test_argument_errors_are_one_line(capsys, workspace, options, fragment):
    with pytest.raises(SystemExit) as raised:
        main(["prepare", str(workspace), "--out", str(workspace / "v1"), *options])

    err = capsys.readouterr().err
    assert raised.value.code == 2
    assert fragment in err
    assert err.startswith("ntm-tune prepare: argument ")
    assert err.endswith("Run 'ntm-tune prepare --help' for the options\n")
    assert err.count("\n") == 1
    assert "usage:" not in err
