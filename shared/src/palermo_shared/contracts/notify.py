"""Events of the notify service: notifications to focal points."""

import datetime as dt

from palermo_shared.events import TOPIC_NOTIFY, EventPayload, event


@event("palermo.notify.notification_delivered", version=1, topic=TOPIC_NOTIFY)
class NotificationDelivered(EventPayload):
    notification_id: str
    event_id: str
    notified_event_type: str
    recipient_state: str
    channel: str
    delivered_at: dt.datetime
