"""The `palermo` command of the test environment, run as a user runs it."""

import os
import subprocess
import sys
from pathlib import Path


def run_palermo(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `palermo` with `args` and these variables added to the environment."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "palermo"), *args],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start_palermo(*args: str, **environment: str) -> subprocess.Popen[str]:
    """Start `palermo` with `args`, its output piped, and return the process."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "palermo"), *args],
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
