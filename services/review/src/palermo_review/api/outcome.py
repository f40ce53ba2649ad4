"""Routes of the outcome: agreement, comments, completion, summary, publication."""

from fastapi import APIRouter, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_review import observations, outcome
from palermo_review.access import Action, authorize, review_for
from palermo_review.api.deps import Now, Runtime, Settings
from palermo_review.api.reviews import detail, observation_public
from palermo_review.api.schemas import (
    AgreementPublic,
    CommentCreate,
    CommentPublic,
    CompletionRequest,
    OfficialLanguage,
    PublicationDecision,
    PublishedOutcome,
    ReviewDetail,
    SummaryPublic,
    SummaryUpdate,
    TranslationIn,
    TranslationPublic,
)
from palermo_review.reviews import get_review
from palermo_review.tables import DeskReview, StateComment, SummaryTranslation
from palermo_shared.auth import Caller
from palermo_shared.errors import InvalidInput, NotFound
from palermo_shared.preconditions import IfMatch

router = APIRouter(prefix="/reviews/{review_id}", tags=["outcome"])


async def detail_after(
    runtime: Runtime, review_id: str, settings: Settings, now: Now
) -> ReviewDetail:
    """Read the review after a write committed, so the write lock is held briefly."""
    async with runtime.session() as session:
        review = await get_review(session, review_id)
        return await detail(session, review, settings, now)


@router.get("/agreements", response_model=list[AgreementPublic])
async def list_agreements(
    review_id: str, runtime: Runtime, caller: Caller
) -> list[AgreementPublic]:
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        found = await observations.list_agreements(session, review_id)
    return [AgreementPublic.model_validate(a, from_attributes=True) for a in found]


@router.post("/agreement", response_model=ReviewDetail)
async def agree(
    review_id: str, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> ReviewDetail:
    """Agree, for the caller's reviewing State, to the final observations.

    The first agreement freezes the observations. A focal point's agreement
    counts at once; an expert's once the focal point cleared it.
    """
    async with runtime.transaction() as session:
        await observations.agree(session, caller, review_id, now)
    return await detail_after(runtime, review_id, settings, now)


@router.post("/agreement/clearance", response_model=ReviewDetail)
async def clear_agreement(
    review_id: str, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> ReviewDetail:
    async with runtime.transaction() as session:
        await observations.clear_agreement(session, caller, review_id, now)
    return await detail_after(runtime, review_id, settings, now)


@router.post("/reopen", response_model=ReviewDetail)
async def reopen(
    review_id: str, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> ReviewDetail:
    """Return the observations to the reviewers and withdraw every agreement."""
    async with runtime.transaction() as session:
        await observations.reopen(session, caller, review_id, now)
    return await detail_after(runtime, review_id, settings, now)


def _comment_public(row: StateComment) -> CommentPublic:
    return CommentPublic.model_validate(row, from_attributes=True)


@router.get("/comments", response_model=CommentPublic)
async def get_comments(
    review_id: str, runtime: Runtime, caller: Caller, response: Response
) -> CommentPublic:
    """Return the State under review's comments, with the ETag that If-Match takes."""
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        row = await session.get(StateComment, review_id)
    if row is None:
        raise NotFound(f"desk review {review_id} has no comments")
    response.headers["ETag"] = outcome.comment_etag(row)
    return _comment_public(row)


@router.put("/comments", response_model=CommentPublic)
async def comment(
    review_id: str,
    body: CommentCreate,
    runtime: Runtime,
    caller: Caller,
    response: Response,
    now: Now,
    if_match: IfMatch,
) -> CommentPublic:
    """Write the State under review's comments on the final observations; with
    If-Match, only over the comments it names."""
    async with runtime.transaction() as session:
        row = await outcome.comment(
            session, caller, review_id, body.text, now, if_match=if_match
        )
    response.headers["ETag"] = outcome.comment_etag(row)
    return _comment_public(row)


@router.post("/comments/clearance", response_model=CommentPublic)
async def clear_comments(
    review_id: str, runtime: Runtime, caller: Caller, response: Response, now: Now
) -> CommentPublic:
    async with runtime.transaction() as session:
        row = await outcome.clear_comment(session, caller, review_id, now)
    response.headers["ETag"] = outcome.comment_etag(row)
    return _comment_public(row)


@router.post("/comments/waiver", response_model=ReviewDetail)
async def waive_comments(
    review_id: str, runtime: Runtime, caller: Caller, settings: Settings, now: Now
) -> ReviewDetail:
    """Record that the State under review makes no comments."""
    async with runtime.transaction() as session:
        await outcome.waive_comments(session, caller, review_id)
    return await detail_after(runtime, review_id, settings, now)


@router.post("/complete", response_model=ReviewDetail)
async def complete(
    review_id: str,
    runtime: Runtime,
    caller: Caller,
    settings: Settings,
    now: Now,
    body: CompletionRequest | None = None,
) -> ReviewDetail:
    """Complete the review and submit its outcome; 409 names what is missing.

    The body is optional when the summary was written before.
    """
    async with runtime.transaction() as session:
        await outcome.complete(
            session,
            caller,
            review_id,
            summary=body.summary if body is not None else None,
            now=now,
            comment_period=settings.comment_period,
        )
    return await detail_after(runtime, review_id, settings, now)


def _translation_public(
    row: SummaryTranslation, review: DeskReview
) -> TranslationPublic:
    return TranslationPublic(
        language=row.language,
        text=row.text,
        source_revision=row.source_revision,
        current=row.source_revision == review.summary_revision,
        translated_at=row.translated_at,
    )


async def _summary(session: AsyncSession, review: DeskReview) -> SummaryPublic:
    rows = await outcome.translations(session, review.id)
    have = {"en"} | {r.language for r in rows}
    return SummaryPublic(
        summary=review.summary,
        revision=review.summary_revision,
        published=review.summary_published,
        translations=[_translation_public(r, review) for r in rows],
        languages_missing=[x for x in outcome.OFFICIAL_LANGUAGES if x not in have],
    )


@router.get("/summary", response_model=SummaryPublic)
async def get_summary(
    review_id: str, runtime: Runtime, caller: Caller, response: Response
) -> SummaryPublic:
    """Return the summary (in English) and its translations, each marked current
    when it translates the summary's latest revision. The ETag names the
    revision, for If-Match.
    """
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        response.headers["ETag"] = outcome.summary_etag(review)
        return await _summary(session, review)


@router.put("/summary", response_model=SummaryPublic)
async def edit_summary(
    review_id: str,
    body: SummaryUpdate,
    runtime: Runtime,
    caller: Caller,
    response: Response,
    now: Now,
    if_match: IfMatch,
) -> SummaryPublic:
    """Change the summary; with If-Match, only from the revision it names."""
    async with runtime.transaction() as session:
        review = await outcome.edit_summary(
            session, caller, review_id, body.summary, now, if_match=if_match
        )
        response.headers["ETag"] = outcome.summary_etag(review)
        return await _summary(session, review)


@router.get("/summary/translations/{language}", response_model=TranslationPublic)
async def get_translation(
    review_id: str,
    language: OfficialLanguage,
    runtime: Runtime,
    caller: Caller,
    response: Response,
) -> TranslationPublic:
    """Return the summary's translation into one language, with the ETag that
    If-Match takes."""
    async with runtime.session() as session:
        review = await review_for(session, review_id, caller)
        await authorize(session, review, caller, Action.READ)
        row = await session.get(SummaryTranslation, (review_id, language))
    if row is None:
        raise NotFound(
            f"desk review {review_id} has no {language} translation of its summary"
        )
    response.headers["ETag"] = outcome.translation_etag(row)
    return _translation_public(row, review)


@router.put("/summary/translations/{language}", response_model=TranslationPublic)
async def translate(
    review_id: str,
    language: OfficialLanguage,
    body: TranslationIn,
    runtime: Runtime,
    caller: Caller,
    response: Response,
    now: Now,
    if_match: IfMatch,
) -> TranslationPublic:
    """Store the summary's translation into another official language; with
    If-Match, only over the translation it names."""
    if language == "en":
        raise InvalidInput(
            "the summary is written in English already", field="language"
        )
    async with runtime.transaction() as session:
        row = await outcome.translate(
            session, caller, review_id, language, body.text, now, if_match=if_match
        )
        review = await get_review(session, review_id)
    response.headers["ETag"] = outcome.translation_etag(row)
    return _translation_public(row, review)


@router.put("/publication", response_model=PublishedOutcome)
async def decide_publication(
    review_id: str,
    body: PublicationDecision,
    runtime: Runtime,
    caller: Caller,
    now: Now,
) -> PublishedOutcome:
    """Choose the parts to publish; for the State under review's focal point."""
    async with runtime.transaction() as session:
        await outcome.decide_publication(
            session,
            caller,
            review_id,
            summary=body.summary,
            observation_ids=body.observation_ids,
            now=now,
        )
    return await _published(runtime, review_id)


@router.get("/published", response_model=PublishedOutcome)
async def published(
    review_id: str, runtime: Runtime, caller: Caller
) -> PublishedOutcome:
    """Return the published parts of a completed review, for any caller.

    A review not completed has no outcome yet and gets 404.
    """
    return await _published(runtime, review_id)


async def _published(runtime: Runtime, review_id: str) -> PublishedOutcome:
    async with runtime.session() as session:
        shown = await outcome.published_outcome(session, review_id)
    review = shown.review
    return PublishedOutcome(
        review_id=review.id,
        phase_id=review.phase_id,
        state_under_review=review.state_under_review,
        instrument=review.instrument,
        cluster=review.cluster,
        completed_at=review.completed_at,
        summary=review.summary if shown.summary_published else None,
        translations=[_translation_public(t, review) for t in shown.translations],
        observations=[observation_public(o) for o in shown.observations],
    )
