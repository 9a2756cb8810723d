"""Readers that stream documents from a text corpus, one document at a time.

Every reader decodes bytes itself, so that a byte that is invalid in the chosen encoding
is reported with its file, line and byte offset. Lines end at LF, and a CR before the LF
is dropped, so LF and CRLF files read the same. Other line separators that Python's
`str.splitlines` splits at (such as U+2028) stay inside a document.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ntm_tune.errors import UsageError

FORMATS = ("lines", "folder", "jsonl", "csv", "npz")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".npz": "npz"}
_UTF8_BOM = codecs.BOM_UTF8
# csv's default field limit of 131,072 characters is smaller than many documents.
_CSV_FIELD_LIMIT = 2**31 - 1


def detect_format(path: Path) -> str:
    """Return the input format that a path's type or suffix implies."""
    if path.is_dir():
        return "folder"
    return _SUFFIX_FORMATS.get(path.suffix.lower(), "lines")


def check_encoding(encoding: str) -> str:
    """Return the codec's canonical name; raise UsageError unless it is known and ASCII-compatible.

    Lines are split at the byte 0x0A, which is only a line feed in encodings that keep
    ASCII bytes as they are (UTF-8, Latin-1, cp1252 and the like, but not UTF-16).
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f"--encoding {encoding!r} is invalid: Python knows no such codec. "
            "Pass a codec name such as utf-8, latin-1 or cp1252"
        ) from None
    if b'\n\r,{}"'.decode(name, errors="replace") != '\n\r,{}"':
        raise UsageError(
            f"--encoding {encoding!r} is invalid: lines are split at the byte 0x0A, which this encoding "
            "does not use for a line feed. Convert the input to UTF-8 first"
        )
    return name


@dataclass(frozen=True)
class TextLines:
    """A text file with one document per line."""

    path: Path
    encoding: str = "utf-8"

    def documents(self) -> Iterator[str]:
        for line_number, offset, raw in _raw_lines(self.path, self.encoding):
            line = _strip_line_end(raw)
            if line_number == 1 and not raw.endswith(b"\n") and b"\r" in line:
                raise UsageError(
                    f"{self.path}: the file has carriage returns (CR) but no line feed (LF), so it would be one "
                    "document. Convert its line ends to LF or CRLF"
                )
            yield _decode(line, self.encoding, self.path, line_number, offset)


@dataclass(frozen=True)
class TextFolder:
    """A folder whose `.txt` files, searched recursively and sorted by path, are one document each."""

    path: Path
    encoding: str = "utf-8"

    def files(self) -> list[Path]:
        return sorted(
            (file for file in self.path.rglob("*.txt") if file.is_file()),
            key=lambda file: file.relative_to(self.path).as_posix(),
        )

    def documents(self) -> Iterator[str]:
        files = self.files()
        if not files:
            raise UsageError(f"{self.path}: the folder contains no .txt files. Put one document per .txt file in it")
        for file in files:
            raw = file.read_bytes()
            offset = _bom_length(raw, self.encoding)
            yield _decode(raw[offset:], self.encoding, file, 1, offset)


@dataclass(frozen=True)
class JsonLines:
    """A JSON Lines file whose objects hold each document in `text_field`. Blank lines are skipped."""

    path: Path
    text_field: str = "text"
    encoding: str = "utf-8"

    def documents(self) -> Iterator[str]:
        for line_number, offset, raw in _raw_lines(self.path, self.encoding):
            line = _decode(_strip_line_end(raw), self.encoding, self.path, line_number, offset)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UsageError(
                    f"{self.path}: line {line_number} is invalid: {error.msg} at column {error.colno}. "
                    "Write one JSON object per line"
                ) from None
            text = record.get(self.text_field) if isinstance(record, dict) else None
            if not isinstance(text, str):
                found = "no such field" if not isinstance(record, dict) or self.text_field not in record else text
                raise UsageError(
                    f"{self.path}: line {line_number}: field {self.text_field!r} is invalid ({found!r}): "
                    "each line must be an object whose text field is a string. "
                    "Pass the right field name with --text-field"
                )
            yield text


@dataclass(frozen=True)
class CsvFile:
    """A CSV file with a header row and one document per row in `text_column`.

    Quoted fields may span lines. Empty rows are skipped.
    """

    path: Path
    text_column: str = "text"
    encoding: str = "utf-8"

    def documents(self) -> Iterator[str]:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
        lines = (
            _decode(raw, self.encoding, self.path, line_number, offset)
            for line_number, offset, raw in _raw_lines(self.path, self.encoding)
        )
        # strict: a quote that is never closed is an error, not a field that runs to the end of the file.
        reader = csv.reader(lines, strict=True)
        row_start = 1
        try:
            header = next(reader, None)
            if header is None:
                raise UsageError(f"{self.path}: the file is empty. Write a header row and one row per document")
            if self.text_column not in header:
                raise UsageError(
                    f"{self.path}: column {self.text_column!r} is missing from the header {header!r}. "
                    "Pass the right column name with --text-column"
                )
            column = header.index(self.text_column)
            row_start = reader.line_num + 1
            for row in reader:
                # The next row starts on the line after this one.
                row_start = reader.line_num + 1
                if not row:
                    continue
                if column >= len(row):
                    raise UsageError(
                        f"{self.path}: line {reader.line_num}: the row has {len(row)} fields, "
                        f"but {self.text_column!r} is field {column + 1}. Give every row all the header's fields"
                    )
                yield row[column]
        except csv.Error as error:
            if str(error) == "unexpected end of data":
                raise UsageError(
                    f"{self.path}: line {row_start} is invalid CSV: a quoted field that starts in the row on that "
                    "line is never closed. Close the quote, or double any quote character inside the field"
                ) from None
            raise UsageError(
                f"{self.path}: line {reader.line_num} is invalid CSV: {error}. Check the quoting around that line"
            ) from None


Corpus = TextLines | TextFolder | JsonLines | CsvFile


def open_corpus(path: Path, *, input_format: str, encoding: str, text_field: str, text_column: str) -> Corpus:
    """Return the reader for a text corpus; raise UsageError if the path does not fit the format."""
    if input_format == "folder":
        if not path.is_dir():
            raise UsageError(f"{path}: the folder is not found. Pass an existing folder of .txt files")
        return TextFolder(path, encoding)
    if path.is_dir():
        raise UsageError(
            f"{path}: the input is a folder, but --format {input_format} reads a file. "
            "Pass --format folder for a folder of .txt files, or the path of a file"
        )
    if not path.is_file():
        raise UsageError(f"{path}: the file is not found. Check the input path")
    if input_format == "jsonl":
        return JsonLines(path, text_field, encoding)
    if input_format == "csv":
        return CsvFile(path, text_column, encoding)
    return TextLines(path, encoding)


def read_text_lines(path: Path, encoding: str) -> list[str]:
    """Read a small line-per-entry file, such as a vocabulary or stop-word list, without line ends."""
    return [
        _decode(_strip_line_end(raw), encoding, path, line_number, offset)
        for line_number, offset, raw in _raw_lines(path, encoding)
    ]


def _raw_lines(path: Path, encoding: str) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line number from 1, byte offset, raw bytes with the line end) for each line.

    A UTF-8 byte order mark at the start of a UTF-8 file is skipped.
    """
    offset = 0
    with path.open("rb") as file:
        for line_number, raw in enumerate(file, start=1):
            if line_number == 1 and (bom := _bom_length(raw, encoding)):
                raw = raw[bom:]
                offset = bom
            yield line_number, offset, raw
            offset += len(raw)


def _bom_length(raw: bytes, encoding: str) -> int:
    is_utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    return len(_UTF8_BOM) if is_utf8 and raw.startswith(_UTF8_BOM) else 0


def _strip_line_end(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw


def _decode(raw: bytes, encoding: str, path: Path, line_number: int, offset: int) -> str:
    """Decode a line or a whole file that starts at `line_number` and byte `offset`.

    Raises UsageError naming the first invalid byte's line and byte offset in the file.
    """
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line_number += raw.count(b"\n", 0, error.start)
        raise UsageError(
            f"{path}: line {line_number}, byte offset {offset + error.start}: byte 0x{raw[error.start]:02x} "
            f"is invalid {encoding} ({error.reason}). Convert the file to UTF-8, "
            "or pass its encoding with --encoding, for example --encoding latin-1"
        ) from None
