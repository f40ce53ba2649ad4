"""A view of the bus without invitations, for the dashboards' event stream.

`AccountInvited` carries a live activation link. Its records are keyed
`invitation/<id>`, so they are dropped here by key, without decoding any
message.
"""

from collections.abc import Sequence

from palermo_shared.bus import Bus, Delivery, Publisher, Subscription
from palermo_shared.contracts.accounts import INVITATION_SUBJECT_PREFIX


class BusWithoutInvitations:
    """A `Bus` whose subscriptions never deliver invitation records."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def prepare(self) -> None:
        await self._bus.prepare()

    def publisher(self) -> Publisher:
        return self._bus.publisher()

    def subscription(self, topics: Sequence[str], group: str) -> Subscription:
        return _SubscriptionWithoutInvitations(self._bus.subscription(topics, group))


class _SubscriptionWithoutInvitations:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    async def start(self) -> None:
        await self._subscription.start()

    async def stop(self) -> None:
        await self._subscription.stop()

    async def fetch(self, *, max_records: int, timeout: float) -> list[Delivery]:
        batch = await self._subscription.fetch(max_records=max_records, timeout=timeout)
        return [delivery for delivery in batch if not _is_invitation(delivery)]

    async def commit(self) -> None:
        await self._subscription.commit()


def _is_invitation(delivery: Delivery) -> bool:
    return delivery.key is not None and delivery.key.startswith(
        INVITATION_SUBJECT_PREFIX
    )
