"""Recording benchmark figures in bench/RESULTS.md, one section per benchmark."""

import datetime as dt
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the script named in it.\n"


def machine() -> str:
    """Describe the machine: CPU model, cores and Python version."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    cores = (
        len(re.findall(r"^processor", cpuinfo.read_text(), re.M))
        if cpuinfo.exists()
        else 0
    )
    return f"{model}, {cores} cores, Python {platform.python_version()}"


def record(name: str, title: str, body: str) -> None:
    """Replace the section of benchmark `name` in RESULTS.md with `body`."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = dt.date.today().isoformat()
    section = (
        f"{start}\n## {title}\n\n`python bench/{name}.py`, {stamp}, {machine()}.\n\n"
        f"{body.strip()}\n{end}"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)
