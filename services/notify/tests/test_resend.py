"""Dead letters and their re-sending by the Secretariat."""


async def _subscribe(service, state, url):
    response = await service.client.post(
        "/subscriptions", json={"state": state, "url": url}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_dead_letter_resent(service, events, receiver):
    await _subscribe(service, "FRA", receiver.url("/flaky"))
    envelope = await service.publish(events.lots_drawn())
    [dead] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="dead_letter"
    )
    receiver.flaky_fails = False

    response = await service.client.post(f"/notifications/{dead['id']}/resend")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response.json()["attempts"] == 0
    [delivered] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="delivered"
    )
    assert delivered["id"] == dead["id"]
    assert delivered["attempts"] == 1
    assert len(receiver.received("/flaky")) == 4


async def test_resend_delivered_conflicts(service, events, receiver):
    await _subscribe(service, "FRA", receiver.url("/ok"))
    envelope = await service.publish(events.lots_drawn())
    [delivered] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="delivered"
    )

    response = await service.client.post(f"/notifications/{delivered['id']}/resend")

    assert response.status_code == 409
    assert "delivered" in response.json()["detail"]
    stored = await service.client.get(f"/notifications/{delivered['id']}")
    assert stored.json() == delivered


async def test_resend_inbox_conflicts(service, events):
    envelope = await service.publish(events.lots_drawn())
    [inbox, *_] = await service.wait_for_notifications(3, event_id=envelope.id)

    response = await service.client.post(f"/notifications/{inbox['id']}/resend")

    assert response.status_code == 409


async def test_resend_to_deleted_subscription_conflicts(service, events, receiver):
    subscription_id = await _subscribe(service, "FRA", receiver.url("/fail"))
    envelope = await service.publish(events.lots_drawn())
    [dead] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="dead_letter"
    )
    response = await service.client.delete(f"/subscriptions/{subscription_id}")
    assert response.status_code == 204

    response = await service.client.post(f"/notifications/{dead['id']}/resend")

    assert response.status_code == 409
    assert subscription_id in response.json()["detail"]
    assert "deleted" in response.json()["detail"]
    stored = await service.client.get(f"/notifications/{dead['id']}")
    assert stored.json() == dead


async def test_resend_unknown(service):
    response = await service.client.post("/notifications/no-such-id/resend")

    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]


async def test_disallowed_host_dead_lettered(service, events, receiver, settings):
    await _subscribe(service, "FRA", receiver.url("/ok"))
    await _subscribe(
        service, "BRA", receiver.url("/ok").replace("127.0.0.1", "localhost")
    )
    # The allow-list shrinks after the subscriptions were made.
    settings.webhook_allowed_hosts.remove("127.0.0.1")
    envelope = await service.publish(events.lots_drawn())

    [dead] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="dead_letter"
    )
    [delivered] = await service.wait_for_notifications(
        1, event_id=envelope.id, channel="webhook", status="delivered"
    )

    assert dead["recipient_state"] == "FRA"
    assert dead["attempts"] == 1
    assert "host '127.0.0.1' is no longer allowed" in dead["last_error"]
    # FRA reads its log, and the host still allowed is BRA's receiver.
    assert "localhost" not in dead["last_error"]
    assert delivered["recipient_state"] == "BRA"
