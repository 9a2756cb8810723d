"""Helpers shared by the benchmark scripts: the machine's description and the results page."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

PAGE_HEADER = "# Benchmarks\n\nEach section names the command that produced it and the machine it ran on.\n"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_description() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace the section that starts with `heading` in the Markdown page, or append it; keep the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else PAGE_HEADER
    body = body.strip("\n") + "\n"
    start = text.find(heading + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(heading))
        rest = text[end + 1 :] if end != -1 else ""
        text = text[:start] + body + ("\n" + rest if rest else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def time_command(command: list[str], *, cwd: Path, environment: dict[str, str] | None = None) -> float:
    """Run a command to its end and return its wall time in seconds; raise if it fails."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)
    return time.perf_counter() - start
