"""Event handlers of the notify service, one module per event type consumed."""

import functools

from palermo_notify.consumers import (
    account_invited,
    desk_review,
    lots_drawn,
    questionnaire_submitted,
)
from palermo_notify.notifications import preload_directory
from palermo_notify.settings import NotifySettings
from palermo_shared.assignments import LOTS_PRELOADERS, handle_lots
from palermo_shared.contracts import (
    AccountInvited,
    DeskReviewCompleted,
    DeskReviewOverdue,
    DeskReviewReminderDue,
    DeskReviewReviewersChanged,
    DeskReviewStarted,
    LotsDrawn,
    LotsRedrawn,
    QuestionnaireSubmitted,
)
from palermo_shared.events import (
    TOPIC_DRAW,
    TOPIC_GATEWAY,
    TOPIC_QUESTIONNAIRE,
    TOPIC_REVIEW,
)
from palermo_shared.inbox import Handler
from palermo_shared.preload import combine_preloaders
from palermo_shared.service import ConsumerSpec


def consumer_spec(settings: NotifySettings) -> ConsumerSpec:
    modules = {
        LotsDrawn.event_type: lots_drawn,
        QuestionnaireSubmitted.event_type: questionnaire_submitted,
        DeskReviewStarted.event_type: desk_review,
        DeskReviewCompleted.event_type: desk_review,
        DeskReviewReviewersChanged.event_type: desk_review,
        DeskReviewReminderDue.event_type: desk_review,
        DeskReviewOverdue.event_type: desk_review,
        AccountInvited.event_type: account_invited,
    }
    # A redraw only updates the reviewers: the review service announces the
    # change with DeskReviewReviewersChanged, which notifies the States.
    handlers: dict[str, Handler] = {
        LotsRedrawn.event_type: handle_lots,
        **{
            event_type: functools.partial(module.handle, settings=settings)
            for event_type, module in modules.items()
        },
    }
    directory = {
        event_type: functools.partial(preload_directory, event_type=event_type)
        for event_type in modules
    }
    return ConsumerSpec(
        handlers=handlers,
        topics=(TOPIC_DRAW, TOPIC_QUESTIONNAIRE, TOPIC_REVIEW, TOPIC_GATEWAY),
        preloaders=combine_preloaders(LOTS_PRELOADERS, directory),
    )
