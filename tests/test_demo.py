"""Steps of `palermo demo`, on the embedded default, and the command itself."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from palermo.demo import DELIVERED_EVENT, event_counts, wait_for_notifications
from palermo.embedded import run_embedded
from palermo.phase import open_and_draw, phase_client
from palermo_shared.auth import LocalIssuer
from tests.support.command import start_palermo

LOTS_DRAWN = "palermo.draw.lots_drawn"
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 60


async def test_counts_include_every_delivery(tmp_path: Path) -> None:
    """The summary's counts are read once the last delivery events arrived.

    Read as soon as the notifications were stored, they missed a few.
    """
    tokens = LocalIssuer.from_key_file(tmp_path / "signing-key.pem")
    async with (
        run_embedded(tmp_path) as url,
        phase_client(url, tokens, timeout=60.0) as client,
    ):
        run = await open_and_draw(client, tokens, years="III-VI", seed="counts")
        # The State under review and its two reviewers, for each draw.
        expected = 3 * len(run.draw["assignments"])
        await wait_for_notifications(client, LOTS_DRAWN, expected=expected)

        counts = await event_counts(client)

    assert counts[LOTS_DRAWN] == len(run.draw["assignments"])
    assert counts[DELIVERED_EVENT] == expected


@pytest.mark.parametrize(
    ("signal_number", "status", "how"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_demo_stopped_by_signal(
    tmp_path: Path, signal_number: signal.Signals, status: int, how: str
) -> None:
    output = tmp_path / "output"
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    demo = start_palermo("demo", "--output", str(output), TMPDIR=str(temporary))

    # The demo writes draw.csv once the lots are drawn, minutes before it
    # ends.
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not (output / "draw.csv").exists():
        assert demo.poll() is None, demo.communicate()
        assert time.monotonic() < deadline, "the demo wrote no draw.csv"
        time.sleep(0.1)
    demo.send_signal(signal_number)
    try:
        stdout, stderr = demo.communicate(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        demo.kill()
        _, stderr = demo.communicate()
        raise AssertionError(
            f"still running after {signal_number.name}:\n{stderr}"
        ) from None

    assert demo.returncode == status
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
    assert stderr.splitlines()[-1] == (
        f"palermo demo: {how}; files written so far are in {output}, and "
        "the services' temporary data folder is not kept"
    )
    assert stdout == ""
    assert list(temporary.iterdir()) == []
