"""Event handlers of the notify service, one module per event type consumed."""

import functools

from palermo_notify.consumers import (
    desk_review_completed,
    desk_review_reviewers_changed,
    desk_review_started,
    lots_drawn,
    questionnaire_submitted,
)
from palermo_notify.settings import NotifySettings
from palermo_shared.contracts import (
    DeskReviewCompleted,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.events import TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_REVIEW
from palermo_shared.service import ConsumerSpec


def consumer_spec(settings: NotifySettings) -> ConsumerSpec:
    modules = {
        LotsDrawn.event_type: lots_drawn,
        QuestionnaireSubmitted.event_type: questionnaire_submitted,
        DeskReviewStarted.event_type: desk_review_started,
        DeskReviewCompleted.event_type: desk_review_completed,
        DeskReviewReviewersChanged.event_type: desk_review_reviewers_changed,
    }
    return ConsumerSpec(
        handlers={
            event_type: functools.partial(module.handle, settings=settings)
            for event_type, module in modules.items()
        },
        topics=(TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_REVIEW),
    )
