"""Event handlers of the notify service, one module per event type consumed."""

from palermo_notify.consumers import (
    desk_review_completed,
    desk_review_started,
    lots_drawn,
    questionnaire_submitted,
)
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.events import TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_REVIEW
from palermo_shared.service import ConsumerSpec


def consumer_spec() -> ConsumerSpec:
    return ConsumerSpec(
        handlers={
            LotsDrawn.event_type: lots_drawn.handle,
            QuestionnaireSubmitted.event_type: questionnaire_submitted.handle,
            DeskReviewStarted.event_type: desk_review_started.handle,
            DeskReviewCompleted.event_type: desk_review_completed.handle,
        },
        topics=(TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_REVIEW),
    )
