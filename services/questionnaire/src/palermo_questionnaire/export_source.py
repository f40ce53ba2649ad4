"""Load what an export shows: one submitted version or the working copy."""

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from palermo_questionnaire import consultation, responses
from palermo_questionnaire.domain.forms import Questionnaire
from palermo_questionnaire.domain.labels import Language
from palermo_questionnaire.exports import ExportedResponse
from palermo_questionnaire.responses import ResponseKey
from palermo_questionnaire.tables import Contribution, Response, ResponseVersion
from palermo_shared.reference.states import load_states


async def load_export(
    session: AsyncSession,
    key: ResponseKey,
    *,
    version: int | None,
    language: Language | None,
    created_until: dt.datetime | None,
) -> tuple[Questionnaire, ExportedResponse]:
    """Load the response, or its submitted `version`; labels default to its language.

    Only the contributions and attachments created up to `created_until` are
    loaded, or all of them when it is None.
    """
    questionnaire = await responses.applicable_questionnaire(session, key)
    stored = await responses.require_response(session, key)
    shown: Response | ResponseVersion = stored
    if version is not None:
        shown = await responses.get_version(session, key, version)
    contributions = await consultation.contributions_of(
        session, stored.id, created_until
    )
    attachments = await consultation.list_attachments(session, key, created_until)

    exported = ExportedResponse(
        response_id=stored.id,
        phase_id=key.phase_id,
        state=key.state,
        state_name=load_states()[key.state].name,
        status=stored.status if version is None else "submitted",
        version=shown.version,
        language=language or Language(stored.language),
        answers=shown.answers,
        submitted_at=shown.submitted_at,
        contributions=[_contribution(c) for c in contributions],
        attachments={a.id: a.filename for a in attachments},
    )
    return questionnaire, exported


def _contribution(contribution: Contribution) -> dict[str, object]:
    return {
        "id": contribution.id,
        "category": contribution.category,
        "organization": contribution.organization,
        "summary": contribution.summary,
        "articles": contribution.articles,
        "received_on": (
            contribution.received_on.isoformat() if contribution.received_on else None
        ),
    }
