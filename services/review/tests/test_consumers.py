"""The review service consuming LotsDrawn and QuestionnaireSubmitted."""

import logging

import pytest

from palermo_shared.contracts import DeskReviewStarted
from palermo_shared.events import payload_of
from palermo_shared.reference.instruments import Cluster


def started_events(service) -> list[DeskReviewStarted]:
    payloads = [payload_of(e) for e in service.events(DeskReviewStarted.event_type)]
    return [p for p in payloads if isinstance(p, DeskReviewStarted)]


async def test_lots_then_questionnaire_starts_once(service) -> None:
    await service.publish(service.lots_drawn())
    await service.wait_for_handled(1)
    assert (await service.review())["status"] == "awaiting_questionnaire"

    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(2)

    review = await service.review()
    assert review["status"] == "in_progress"
    assert review["reviewers"] == ["FRA", "BRA"]
    assert review["response_id"] == "response-criminalization"
    [started] = started_events(service)
    assert started.review_id == service.review_id()
    assert started.reviewers == ["FRA", "BRA"]


async def test_questionnaire_then_lots_starts_once(service) -> None:
    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(1)
    assert (await service.review())["status"] == "awaiting_lots"

    await service.publish(service.lots_drawn())
    await service.wait_for_handled(2)

    review = await service.review()
    assert review["status"] == "in_progress"
    assert review["reviewers"] == ["FRA", "BRA"]
    assert review["response_id"] == "response-criminalization"
    [started] = started_events(service)
    assert started.review_id == service.review_id()
    assert started.reviewers == ["FRA", "BRA"]


async def test_one_input_starts_nothing(service) -> None:
    await service.publish(service.lots_drawn())
    await service.wait_for_handled(1)

    assert started_events(service) == []


async def test_redelivered_inputs_start_once(service, started_review) -> None:
    # The same facts under new event ids pass the inbox and reach the handlers,
    # which must not start the review a second time.
    await service.publish(service.lots_drawn())
    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(4)

    assert (await service.review())["status"] == "in_progress"
    assert len(started_events(service)) == 1


async def test_lots_open_review_per_cluster(service) -> None:
    clusters = (Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION)
    await service.publish(service.lots_drawn(clusters))
    await service.publish(
        service.questionnaire_submitted(Cluster.INTERNATIONAL_COOPERATION)
    )
    await service.wait_for_handled(2)

    criminalization = await service.review(Cluster.CRIMINALIZATION)
    cooperation = await service.review(Cluster.INTERNATIONAL_COOPERATION)
    assert criminalization["status"] == "awaiting_questionnaire"
    assert cooperation["status"] == "in_progress"
    [started] = started_events(service)
    assert started.cluster is Cluster.INTERNATIONAL_COOPERATION


async def test_duplicate_envelope_ignored(service) -> None:
    envelope = await service.publish(service.lots_drawn())
    await service.deliver(envelope)
    await service.publish(service.questionnaire_submitted())
    await service.wait_for_handled(2)

    [consumer] = service.runtime.consumers
    assert consumer.handled_total == 2
    assert len(started_events(service)) == 1


async def test_batch_opens_and_starts_review(
    service, caplog: pytest.LogCaptureFixture
) -> None:
    # In one batch, the review that the lots open is still queued for
    # insertion when the questionnaire reaches it.
    caplog.set_level(logging.INFO, logger="palermo_shared.inbox")

    await service.publish_together(
        service.lots_drawn(), service.questionnaire_submitted()
    )
    await service.wait_for_handled(2)

    review = await service.review()
    assert review["status"] == "in_progress"
    assert review["reviewers"] == ["FRA", "BRA"]
    assert review["response_id"] == "response-criminalization"
    assert len(started_events(service)) == 1
    assert "not committed" not in caplog.text


async def test_batch_with_repeated_lots(
    service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="palermo_shared.inbox")

    await service.publish_together(service.lots_drawn(), service.lots_drawn())
    await service.wait_for_handled(2)

    review = await service.review()
    assert review["status"] == "awaiting_questionnaire"
    assert review["reviewers"] == ["FRA", "BRA"]
    assert "not committed" not in caplog.text
