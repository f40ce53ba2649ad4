"""Drafts, submissions and versions of questionnaire responses.

Every write runs in one transaction that reads the response for update,
checks the caller's If-Match against its revision, then writes, so two
officials of one State never overwrite each other silently.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire.domain.forms import Questionnaire, has_cluster
from palermo_questionnaire.domain.forms import questionnaire_for as build_form
from palermo_questionnaire.domain.labels import Language
from palermo_questionnaire.domain.rules import (
    Change,
    Problem,
    answer_problems,
    completeness_problems,
    differences,
    shown_answers,
)
from palermo_questionnaire.events import record_submission
from palermo_questionnaire.tables import (
    Attachment,
    PhaseScope,
    Response,
    ResponseVersion,
    StateUnderReview,
)
from palermo_shared.clock import aware, utcnow
from palermo_shared.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    invalid_input,
)
from palermo_shared.ids import new_id
from palermo_shared.preconditions import IF_MATCH, if_match_holds
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResponseKey:
    """One State's response to one questionnaire of a review phase."""

    phase_id: str
    state: str
    instrument: Instrument
    cluster: Cluster

    def describe(self) -> str:
        return (
            f"{self.state}'s {self.instrument.value}/{self.cluster.value} response "
            f"in phase {self.phase_id}"
        )


def etag_of(response: Response) -> str:
    return f'"{response.id}.{response.revision}"'


async def get_scope(session: AsyncSession, phase_id: str) -> PhaseScope:
    scope = await session.get(PhaseScope, phase_id)
    if scope is None:
        raise NotFound(
            f"review phase {phase_id} not found; if it was just opened, "
            "retry in a moment"
        )
    return scope


async def applicable_questionnaire(
    session: AsyncSession, key: ResponseKey
) -> Questionnaire:
    """Return the questionnaire a State answers, after checking it is under review."""
    scope = await get_scope(session, key.phase_id)
    registry = load_states()
    if key.state not in registry:
        raise NotFound(f"State {key.state} not found in the States-parties registry")
    check_in_scope(scope, key.instrument, key.cluster)
    under_review = await session.get(
        StateUnderReview, (key.phase_id, key.instrument.value, key.state)
    )
    if under_review is None:
        raise InvalidInput(
            f"{key.state} is not under review for {key.instrument.value} in phase "
            f"{key.phase_id}: it was not party to that instrument on the phase's "
            "draw date",
            field="state",
        )
    return build_form(
        key.instrument,
        key.cluster,
        party_to_uncac=registry[key.state].party_to_uncac(scope.draw_date),
        version=scope.questionnaire_version,
    )


def check_in_scope(scope: PhaseScope, instrument: Instrument, cluster: Cluster) -> None:
    """Raise `InvalidInput` unless the phase of `scope` reviews this questionnaire."""
    if instrument.value not in scope.instruments:
        raise InvalidInput(
            f"instrument {instrument.value} is not reviewed in phase {scope.phase_id}",
            field="instrument",
        )
    if cluster.value not in scope.clusters:
        raise InvalidInput(
            f"cluster {cluster.value} is not reviewed in phase {scope.phase_id}; "
            f"reviewed clusters: {', '.join(scope.clusters)}",
            field="cluster",
        )
    if not has_cluster(instrument, cluster):
        raise InvalidInput(
            f"the {instrument.value} instrument has no {cluster.value} cluster",
            field="cluster",
        )


async def find_response(
    session: AsyncSession, key: ResponseKey, *, for_update: bool = False
) -> Response | None:
    query = select(Response).where(
        Response.phase_id == key.phase_id,
        Response.state == key.state,
        Response.instrument == key.instrument.value,
        Response.cluster == key.cluster.value,
    )
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def require_response(
    session: AsyncSession, key: ResponseKey, *, for_update: bool = False
) -> Response:
    response = await find_response(session, key, for_update=for_update)
    if response is None:
        # An unknown phase is named as such, not as a missing draft.
        await get_scope(session, key.phase_id)
        raise NotFound(f"no {key.describe()}: its State has saved no draft yet")
    return response


def check_precondition(response: Response | None, if_match: str | None) -> None:
    """Apply If-Match (RFC 9110, section 13.1.1) to an update of `response`.

    Creating the first draft needs no If-Match; any later change needs the
    current ETag, or `*`.
    """
    if if_match is None:
        if response is not None:
            raise PreconditionRequired(
                f"response {response.id} exists: send If-Match with the ETag of "
                "your last read, so that no one else's changes are overwritten",
                field=IF_MATCH,
                current_etag=etag_of(response),
            )
        return
    if response is None:
        raise PreconditionFailed(
            "If-Match names a response that does not exist yet; "
            "send the first draft without If-Match",
            field=IF_MATCH,
        )
    if not if_match_holds(if_match, etag_of(response)):
        raise PreconditionFailed(
            f"response {response.id} changed since your last read: "
            f"If-Match {if_match} is not the current ETag; reload it and retry",
            field=IF_MATCH,
            current_etag=etag_of(response),
        )


async def save_draft(
    session: AsyncSession,
    key: ResponseKey,
    answers: dict[str, Any],
    language: Language,
    if_match: str | None,
) -> Response:
    """Store the draft's answers; a submitted response starts its next version."""
    questionnaire = await applicable_questionnaire(session, key)
    response = await find_response(session, key, for_update=True)
    check_precondition(response, if_match)
    attachment_ids = await attachment_ids_of(session, key)
    _raise_if_any(
        answer_problems(questionnaire, answers, attachment_ids),
        "draft has invalid answers",
    )

    if response is None:
        response = _new_response(key, questionnaire, answers, language)
    else:
        _update_draft(response, answers, language)
    session.add(response)
    await _flush_or_conflict(session, response)
    return response


def _new_response(
    key: ResponseKey,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    language: Language,
) -> Response:
    return Response(
        id=new_id(),
        phase_id=key.phase_id,
        state=key.state,
        instrument=key.instrument.value,
        cluster=key.cluster.value,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        language=language.value,
        answers=answers,
    )


def _update_draft(
    response: Response, answers: dict[str, Any], language: Language
) -> None:
    if response.status == "submitted":
        logger.info(
            "response %s: draft of version %d started",
            response.id,
            response.version + 1,
        )
        response.status = "draft"
        response.version += 1
        response.submitted_at = None
    response.answers = answers
    response.language = language.value
    response.revision += 1
    response.updated_at = utcnow()


async def _flush_or_conflict(session: AsyncSession, response: Response) -> None:
    # Two first saves of one response can race on PostgreSQL, where the
    # second finds no row yet. The unique key stops it here.
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"a draft of {response.state}'s {response.instrument}/{response.cluster} "
            "response was saved at the same time; reload it and retry",
            current_state="draft",
            allowed=["save_draft", "submit"],
        ) from None


async def submit(
    session: AsyncSession, key: ResponseKey, if_match: str | None
) -> Response:
    """Validate the draft as a whole, store it as a version and publish it."""
    questionnaire = await applicable_questionnaire(session, key)
    response = await require_response(session, key, for_update=True)
    check_precondition(response, if_match)
    if response.status == "submitted":
        assert response.submitted_at is not None
        # Written as the API's bodies write times.
        submitted_at = aware(response.submitted_at).isoformat().replace("+00:00", "Z")
        raise Conflict(
            f"version {response.version} of response {response.id} was already "
            f"submitted at {submitted_at}; save a draft to start a new "
            "version",
            current_state="submitted",
            allowed=["save_draft"],
        )
    _raise_if_any(
        completeness_problems(questionnaire, response.answers),
        "response is incomplete",
    )

    previous = await find_version(session, response.id, response.version - 1)
    response.answers = shown_answers(questionnaire, response.answers)
    response.status = "submitted"
    response.submitted_at = utcnow()
    response.updated_at = response.submitted_at
    response.revision += 1
    session.add(response)
    session.add(_version_of(response))
    record_submission(session, response, questionnaire, previous)
    return response


def _version_of(response: Response) -> ResponseVersion:
    assert response.submitted_at is not None
    return ResponseVersion(
        response_id=response.id,
        version=response.version,
        questionnaire_id=response.questionnaire_id,
        language=response.language,
        answers=response.answers,
        submitted_at=response.submitted_at,
    )


async def find_version(
    session: AsyncSession, response_id: str, version: int
) -> ResponseVersion | None:
    if version < 1:
        return None
    return await session.get(ResponseVersion, (response_id, version))


async def latest_submission_time(
    session: AsyncSession, response_id: str
) -> dt.datetime | None:
    """Return when the response's latest version was submitted, or None if none was."""
    query = select(func.max(ResponseVersion.submitted_at)).where(
        ResponseVersion.response_id == response_id
    )
    return (await session.exec(query)).first()


async def list_versions(
    session: AsyncSession, key: ResponseKey
) -> list[ResponseVersion]:
    response = await require_response(session, key)
    query = (
        select(ResponseVersion)
        .where(ResponseVersion.response_id == response.id)
        .order_by(col(ResponseVersion.version))
    )
    return list((await session.exec(query)).all())


async def get_version(
    session: AsyncSession, key: ResponseKey, version: int
) -> ResponseVersion:
    response = await require_response(session, key)
    found = await find_version(session, response.id, version)
    if found is None:
        raise NotFound(f"version {version} of {key.describe()} not found")
    return found


async def version_changes(
    session: AsyncSession, key: ResponseKey, version: int, against: int | None
) -> tuple[ResponseVersion, ResponseVersion, list[Change]]:
    """Compare two submitted versions question by question."""
    against = version - 1 if against is None else against
    if against == version or against < 1:
        raise InvalidInput(
            f"cannot compare version {version} with version {against}; "
            "give another submitted version",
            field="against",
        )
    questionnaire = await applicable_questionnaire(session, key)
    after = await get_version(session, key, version)
    before = await get_version(session, key, against)
    return before, after, differences(questionnaire, before.answers, after.answers)


async def attachment_ids_of(session: AsyncSession, key: ResponseKey) -> set[str]:
    query = select(Attachment.id).where(
        Attachment.phase_id == key.phase_id,
        Attachment.state == key.state,
        Attachment.instrument == key.instrument.value,
        Attachment.cluster == key.cluster.value,
    )
    return set((await session.exec(query)).all())


def _raise_if_any(problems: list[Problem], message: str) -> None:
    if problems:
        raise invalid_input(message, [p.as_dict() for p in problems])
