"""Event payload schemas, one module per publishing service.

Importing this package registers every schema in `palermo_shared.events.EVENT_TYPES`.
"""

from palermo_shared.contracts.draw import DrawnReviewer, LotsDrawn, ReviewPhaseOpened
from palermo_shared.contracts.notify import NotificationDelivered
from palermo_shared.contracts.questionnaire import (
    QuestionnairePublished,
    QuestionnaireSubmitted,
)
from palermo_shared.contracts.review import DeskReviewCompleted, DeskReviewStarted

__all__ = [
    "DeskReviewCompleted",
    "DeskReviewStarted",
    "DrawnReviewer",
    "LotsDrawn",
    "NotificationDelivered",
    "QuestionnairePublished",
    "QuestionnaireSubmitted",
    "ReviewPhaseOpened",
]
