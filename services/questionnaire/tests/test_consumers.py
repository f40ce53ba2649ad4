"""The questionnaire service consuming ReviewPhaseOpened."""

from palermo_shared.contracts import QuestionnairePublished
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Cluster, Instrument


async def published(service) -> set[tuple[Instrument, Cluster]]:
    await service.wait_for_outbox()
    events = [payload_of(e) for e in service.events(QuestionnairePublished.event_type)]
    return {(e.instrument, e.cluster) for e in events}


async def test_phase_from_draw_service(service, draw_client) -> None:
    body = {"years": "VII-X", "instruments": ["convention", "firearms"]}
    phase_id = (await draw_client.post("/phases", json=body)).json()["id"]

    await service.wait_for_phase(phase_id, "firearms", "prevention")

    questionnaire = await service.questionnaire(
        "ITA", "firearms", "prevention", phase_id=phase_id
    )
    articles = [s["article"] for s in questionnaire["sections"]]
    assert articles == [7, 9, 10, 11, 14, 15]


async def test_phase_from_draw_service_scope(service, draw_client) -> None:
    body = {"years": "III-VI", "instruments": ["firearms"]}
    phase_id = (await draw_client.post("/phases", json=body)).json()["id"]
    await service.wait_for_phase(phase_id, "firearms", "criminalization")

    response = await service.client.get(
        f"/phases/{phase_id}/questionnaires/firearms/criminalization",
        params={"state": "FRA"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "state"


async def test_questionnaires_published_per_cluster(service) -> None:
    await service.open_phase(
        "phase-2", "VII-X", (Instrument.CONVENTION, Instrument.FIREARMS)
    )

    assert await published(service) == {
        (Instrument.CONVENTION, Cluster.LAW_ENFORCEMENT),
        (Instrument.CONVENTION, Cluster.PREVENTION),
        (Instrument.FIREARMS, Cluster.PREVENTION),
    }


async def test_duplicate_phase_event_ignored(service) -> None:
    envelope = await service.open_phase()
    await service.wait_for_outbox()
    count = len(service.events(QuestionnairePublished.event_type))

    await service.deliver(envelope)
    await service.open_phase("phase-2")
    await service.wait_for_outbox()

    assert len(service.events(QuestionnairePublished.event_type)) == 2 * count
