"""Events of the notify service: notifications to focal points."""

import datetime as dt

from palermo_shared.events import TOPIC_NOTIFY, EventPayload, event


@event("palermo.notify.notification_delivered", version=1, topic=TOPIC_NOTIFY)
class NotificationDelivered(EventPayload):
    """A notification reached its recipient; it never names an e-mail address."""

    notification_id: str
    event_id: str
    notified_event_type: str
    # ISO 3166-1 alpha-3 code; empty for an e-mail to the Secretariat.
    recipient_state: str
    # "inbox", "webhook" or "email".
    channel: str
    delivered_at: dt.datetime
