"""Event payload schemas, one module per publishing service.

Importing this package registers every schema in `palermo_shared.events.EVENT_TYPES`.
"""

from palermo_shared.contracts.accounts import (
    AccountActivated,
    AccountEnded,
    AccountInvited,
)
from palermo_shared.contracts.draw import (
    CohortsDrawn,
    DrawnReviewer,
    ExceptionalDecision,
    LotsDrawn,
    LotsRedrawn,
    MeetingRecorded,
    MeetingReference,
    RedrawRequested,
    ReviewPhaseOpened,
    SeedCommitted,
    StatePartyUpdated,
)
from palermo_shared.contracts.notify import (
    NotificationDelivered,
)
from palermo_shared.contracts.questionnaire import (
    QuestionnairePublished,
    QuestionnaireResponseUpdated,
    QuestionnaireSubmitted,
    TechnicalAssistanceNeed,
    TechnicalAssistanceNeedsIdentified,
)
from palermo_shared.contracts.review import (
    DeskReviewCompleted,
    DeskReviewOverdue,
    DeskReviewReminderDue,
    DeskReviewReviewersChanged,
    DeskReviewStageChanged,
    DeskReviewStarted,
    OutcomeObservation,
    ReviewOutcomePublished,
    ReviewOutcomeSubmitted,
    ReviewOutcomeSummaryCorrected,
)

__all__ = [
    "AccountActivated",
    "AccountEnded",
    "AccountInvited",
    "CohortsDrawn",
    "DeskReviewCompleted",
    "DeskReviewOverdue",
    "DeskReviewReminderDue",
    "DeskReviewReviewersChanged",
    "DeskReviewStageChanged",
    "DeskReviewStarted",
    "DrawnReviewer",
    "ExceptionalDecision",
    "LotsDrawn",
    "LotsRedrawn",
    "MeetingRecorded",
    "MeetingReference",
    "NotificationDelivered",
    "OutcomeObservation",
    "QuestionnairePublished",
    "QuestionnaireResponseUpdated",
    "QuestionnaireSubmitted",
    "RedrawRequested",
    "ReviewOutcomePublished",
    "ReviewOutcomeSubmitted",
    "ReviewOutcomeSummaryCorrected",
    "ReviewPhaseOpened",
    "SeedCommitted",
    "StatePartyUpdated",
    "TechnicalAssistanceNeed",
    "TechnicalAssistanceNeedsIdentified",
]
