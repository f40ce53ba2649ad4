"""The State under review's comments, completion, publication and translations."""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review.access import Action, authorize, review_for
from palermo_review.domain.workflow import (
    ReviewStatus,
    Step,
    missing_for_completion,
    next_status,
)
from palermo_review.observations import cleared_agreements, list_observations
from palermo_review.reviews import check_step, publish, take_step
from palermo_review.tables import (
    DeskReview,
    Observation,
    StateComment,
    SummaryTranslation,
)
from palermo_shared.auth import Principal
from palermo_shared.clock import aware
from palermo_shared.contracts import (
    DeskReviewCompleted,
    OutcomeObservation,
    ReviewOutcomePublished,
    ReviewOutcomeSubmitted,
    ReviewOutcomeSummaryCorrected,
)
from palermo_shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from palermo_shared.preconditions import IF_MATCH, content_etag, if_match_holds
from palermo_shared.reference.instruments import WORKING_GROUPS, Cluster, Instrument

logger = logging.getLogger(__name__)

OFFICIAL_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
OUTCOME_RECIPIENTS = ["working_group", "conference_of_the_parties"]


def comment_etag(row: StateComment) -> str:
    return content_etag(row.text, row.written_by, row.cleared_by)


async def comment(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    text: str,
    now: dt.datetime,
    *,
    if_match: str | None = None,
) -> StateComment:
    """Record the State under review's comments; its focal point's count at once.

    With `if_match`, the comments change only if they are still as read.
    """
    review = await review_for(session, rid, principal, for_update=True)
    participant = await authorize(session, review, principal, Action.COMMENT)
    check_step(review, Step.COMMENT)
    _check_not_waived(review)
    stored = await session.get(StateComment, rid)
    _check_if_match(
        if_match,
        comment_etag(stored) if stored is not None else None,
        f"the comments on desk review {rid}",
    )
    # A new row gets its other fields below, as a stored one does.
    row = stored or StateComment(review_id=rid)  # type: ignore[call-arg]
    row.text, row.written_by, row.written_at = text, principal.subject, now
    row.cleared_by, row.cleared_at = None, None
    if participant.is_focal_point:
        row.cleared_by, row.cleared_at = principal.subject, now
    session.add(row)
    return row


async def clear_comment(
    session: AsyncSession, principal: Principal, rid: str, now: dt.datetime
) -> StateComment:
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.CLEAR_COMMENT)
    check_step(review, Step.COMMENT, action="clear the comments of")
    _check_not_waived(review)
    row = await session.get(StateComment, rid)
    if row is None:
        raise Conflict(
            f"desk review {rid} has no comments to clear; write them or waive them",
            current_state=review.status,
            allowed=[Step.COMMENT.value],
        )
    row.cleared_by, row.cleared_at = principal.subject, now
    session.add(row)
    return row


async def waive_comments(
    session: AsyncSession, principal: Principal, rid: str
) -> DeskReview:
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.CLEAR_COMMENT)
    check_step(review, Step.COMMENT, action="waive the comments of")
    row = await session.get(StateComment, rid)
    if row is not None and row.cleared_at is not None:
        raise Conflict(
            f"desk review {rid} has comments cleared by {row.cleared_by}, which "
            "the outcome carries; a waiver would drop them",
            current_state=review.status,
            allowed=[Step.COMMENT.value],
        )
    review.comments_waived = True
    session.add(review)
    return review


def _check_not_waived(review: DeskReview) -> None:
    # The outcome carries either the comments or the waiver, never both.
    if review.comments_waived:
        raise Conflict(
            f"the State under review waived its comments on desk review "
            f"{review.id}, so it can no longer write or clear any",
            current_state=review.status,
            allowed=[],
        )


def comment_period_ends(review: DeskReview, period: dt.timedelta) -> dt.datetime | None:
    if review.comment_period_started_at is None:
        return None
    return aware(review.comment_period_started_at) + period


async def comments_closed(
    session: AsyncSession, review: DeskReview, now: dt.datetime, period: dt.timedelta
) -> bool:
    """Return whether the State under review commented, waived, or ran out of time."""
    if review.comments_waived:
        return True
    ends = comment_period_ends(review, period)
    if ends is not None and now >= ends:
        return True
    row = await session.get(StateComment, review.id)
    return row is not None and row.cleared_at is not None


async def missing_parts(
    session: AsyncSession, review: DeskReview, now: dt.datetime, period: dt.timedelta
) -> list[str]:
    return missing_for_completion(
        reviewers=review.reviewers or [],
        cleared_agreements=await cleared_agreements(session, review),
        comments_closed=await comments_closed(session, review, now, period),
    )


async def complete(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    summary: str | None,
    now: dt.datetime,
    comment_period: dt.timedelta,
) -> DeskReview:
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.COMPLETE)
    missing = await missing_parts(session, review, now, comment_period)
    next_status(rid, ReviewStatus(review.status), Step.COMPLETE, missing=missing)
    if summary is None and review.summary is None:
        raise InvalidInput(
            f"desk review {rid} has no summary yet; send one", field="summary"
        )
    take_step(session, review, Step.COMPLETE, now)

    if summary is not None:
        _set_summary(review, summary)
    review.completed_at = now
    session.add(review)
    await _publish_outcome(session, review, now)
    return review


async def _publish_outcome(
    session: AsyncSession, review: DeskReview, now: dt.datetime
) -> None:
    observations = await list_observations(session, review.id)
    common = _outcome_identity(review)
    completed = DeskReviewCompleted(
        **common,
        reviewers=review.reviewers or [],
        observation_count=len(observations),
        completed_at=now,
    )
    publish(session, review, completed)
    outcome = ReviewOutcomeSubmitted(
        **common,
        working_group=WORKING_GROUPS[common["instrument"]],
        submitted_to=OUTCOME_RECIPIENTS,
        summary=review.summary or "",
        observations=_outcome_observations(observations),
        comments=await _comments_status(session, review),
        submitted_at=now,
    )
    publish(session, review, outcome)


def _outcome_identity(review: DeskReview) -> dict[str, Any]:
    """Return the fields that name a desk review in the events of its outcome."""
    return {
        "review_id": review.id,
        "phase_id": review.phase_id,
        "state_under_review": review.state_under_review,
        "instrument": Instrument(review.instrument),
        "cluster": Cluster(review.cluster),
    }


def _outcome_observations(observations: list[Observation]) -> list[OutcomeObservation]:
    return [
        OutcomeObservation(article=o.article, kind=o.kind, text=o.text)
        for o in observations
    ]


async def _comments_status(session: AsyncSession, review: DeskReview) -> str:
    if review.comments_waived:
        return "waived"
    row = await session.get(StateComment, review.id)
    if row is not None and row.cleared_at is not None:
        return "commented"
    return "comment_period_ended"


def _set_summary(review: DeskReview, summary: str) -> None:
    if summary != review.summary:
        review.summary = summary
        review.summary_revision += 1


def _check_if_match(if_match: str | None, etag: str | None, resource: str) -> None:
    """Raise `PreconditionFailed` unless `if_match` holds for the stored `resource`.

    Without If-Match any write goes ahead. `etag` is None when nothing is
    stored yet, for which no If-Match holds, `*` included (RFC 9110, section
    13.1.1).
    """
    if if_match is None:
        return
    if etag is None:
        raise PreconditionFailed(
            f"{resource} does not exist yet, so If-Match {if_match} cannot "
            "hold; send no If-Match to write the first version",
            field=IF_MATCH,
        )
    if not if_match_holds(if_match, etag):
        raise PreconditionFailed(
            f"{resource} changed since your last read: If-Match {if_match} is "
            "not the current ETag; reload it and retry",
            field=IF_MATCH,
            current_etag=etag,
        )


def summary_etag(review: DeskReview) -> str:
    return f'"{review.id}.{review.summary_revision}"'


async def edit_summary(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    summary: str,
    now: dt.datetime,
    *,
    if_match: str | None = None,
) -> DeskReview:
    """Change the summary; translations of earlier revisions become outdated.

    With `if_match`, the summary changes only if it is still at the revision
    named, so that two writers do not overwrite each other unseen. After
    completion only the Secretariat corrects it. A published summary stays
    as the State under review approved it, so its focal point must withdraw
    the publication before the summary changes. A correction after
    completion is published as `ReviewOutcomeSummaryCorrected`.
    """
    review = await review_for(session, rid, principal, for_update=True)
    completed = review.status == ReviewStatus.COMPLETED
    action = Action.CORRECT_SUMMARY if completed else Action.EDIT_SUMMARY
    await authorize(session, review, principal, action)
    _check_if_match(if_match, summary_etag(review), f"the summary of desk review {rid}")
    check_step(review, Step.EDIT_SUMMARY)
    if review.summary_published and summary != review.summary:
        raise Conflict(
            f"the summary of desk review {rid} is published as the State under "
            "review approved it; its focal point must withdraw it (PUT "
            "publication with summary false) before the summary changes",
            current_state=review.status,
            allowed=[Step.PUBLISH.value],
        )
    changed = summary != review.summary
    _set_summary(review, summary)
    session.add(review)
    if completed and changed:
        _publish_correction(session, review, now)
    return review


def _publish_correction(
    session: AsyncSession, review: DeskReview, now: dt.datetime
) -> None:
    """Announce a corrected summary, which replaces the submitted outcome's."""
    identity = _outcome_identity(review)
    correction = ReviewOutcomeSummaryCorrected(
        **identity,
        working_group=WORKING_GROUPS[identity["instrument"]],
        reviewers=review.reviewers or [],
        summary=review.summary or "",
        summary_revision=review.summary_revision,
        corrected_at=now,
    )
    publish(session, review, correction)
    logger.info(
        "review %s: summary corrected after completion (revision %d)",
        review.id,
        review.summary_revision,
    )


async def decide_publication(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    *,
    summary: bool,
    observation_ids: list[str],
    now: dt.datetime,
) -> DeskReview:
    """Publish the listed parts of a completed review; the rest stays confidential.

    A decision that changes what is published is announced with
    `ReviewOutcomePublished`, which observers receive.
    """
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.DECIDE_PUBLICATION)
    check_step(review, Step.PUBLISH)
    observations = await list_observations(session, rid)
    unknown = set(observation_ids) - {o.id for o in observations}
    if unknown:
        raise InvalidInput(
            f"observations {', '.join(sorted(unknown))} are not in desk review {rid}",
            field="observation_ids",
        )

    before = _published_parts(review, observations)
    review.summary_published = summary
    session.add(review)
    for observation in observations:
        observation.published = observation.id in observation_ids
        session.add(observation)
    if _published_parts(review, observations) != before:
        _publish_decision(session, review, observations, now)
    return review


def _published_parts(
    review: DeskReview, observations: list[Observation]
) -> tuple[bool, frozenset[str]]:
    published = frozenset(o.id for o in observations if o.published)
    return review.summary_published, published


def _publish_decision(
    session: AsyncSession,
    review: DeskReview,
    observations: list[Observation],
    now: dt.datetime,
) -> None:
    decision = ReviewOutcomePublished(
        **_outcome_identity(review),
        summary=review.summary if review.summary_published else None,
        observations=_outcome_observations([o for o in observations if o.published]),
        decided_at=now,
    )
    publish(session, review, decision)


def translation_etag(row: SummaryTranslation) -> str:
    return content_etag(row.text, row.source_revision, row.translated_by)


async def translate(
    session: AsyncSession,
    principal: Principal,
    rid: str,
    language: str,
    text: str,
    now: dt.datetime,
    *,
    if_match: str | None = None,
) -> SummaryTranslation:
    """Store a translation of the summary's current revision.

    With `if_match`, the translation changes only if it is still as read.
    """
    review = await review_for(session, rid, principal, for_update=True)
    await authorize(session, review, principal, Action.TRANSLATE)
    check_step(review, Step.TRANSLATE)
    if review.summary is None:
        raise Conflict(
            f"desk review {rid} has no summary to translate",
            current_state=review.status,
            allowed=[Step.EDIT_SUMMARY.value],
        )
    stored = await session.get(SummaryTranslation, (rid, language))
    _check_if_match(
        if_match,
        translation_etag(stored) if stored is not None else None,
        f"the {language} translation of desk review {rid}'s summary",
    )
    # A new row gets its other fields below, as a stored one does.
    row = stored or SummaryTranslation(review_id=rid, language=language)  # type: ignore[call-arg]
    row.text, row.source_revision = text, review.summary_revision
    row.translated_by, row.translated_at = principal.subject, now
    session.add(row)
    return row


async def translations(session: AsyncSession, rid: str) -> list[SummaryTranslation]:
    query = select(SummaryTranslation).where(SummaryTranslation.review_id == rid)
    return list(
        (await session.exec(query.order_by(col(SummaryTranslation.language)))).all()
    )


@dataclass(frozen=True)
class PublishedOutcome:
    review: DeskReview
    summary_published: bool
    observations: list[Observation]
    translations: list[SummaryTranslation]


async def published_outcome(session: AsyncSession, rid: str) -> PublishedOutcome:
    """Return what the State under review published of a completed review.

    Raise `NotFound` for a review not completed, because its outcome does
    not exist yet. A completed review with nothing published has an outcome
    that stays confidential, so it is returned empty.

    Anyone may call this and compute a review's id, so an id that names no
    review gets the same response as a review not completed. Otherwise the
    reviews that exist before the draw would reveal which States submitted
    their questionnaires.
    """
    review = await session.get(DeskReview, rid)
    if review is None or review.status != ReviewStatus.COMPLETED:
        raise NotFound(
            f"desk review {rid} has no published outcome: no completed review "
            "has this id"
        )
    observations = [o for o in await list_observations(session, rid) if o.published]
    shown = await _current_translations(session, review)
    return PublishedOutcome(review, review.summary_published, observations, shown)


async def _current_translations(
    session: AsyncSession, review: DeskReview
) -> list[SummaryTranslation]:
    """Return the translations of the published summary's revision.

    A translation of an earlier revision renders a text that the State under
    review did not approve for publication, so it stays unpublished.
    """
    if not review.summary_published:
        return []
    return [
        t
        for t in await translations(session, review.id)
        if t.source_revision == review.summary_revision
    ]
