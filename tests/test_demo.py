"""Steps of `palermo demo`, on the embedded default."""

from pathlib import Path

from palermo.demo import DELIVERED_EVENT, event_counts, wait_for_notifications
from palermo.embedded import run_embedded
from palermo.phase import open_and_draw, phase_client
from palermo_shared.auth import LocalIssuer

LOTS_DRAWN = "palermo.draw.lots_drawn"


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
