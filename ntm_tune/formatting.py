"""Small helpers that format numbers in the command's messages."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """Return the count with the noun, adding an "s" unless the count is 1: "1 document", "2 documents"."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
