"""HTTP API: subscriptions and the delivery log, including every bad input."""

import pytest


def _invalid_field(response):
    """Return the last part of the field a 422 response names."""
    return response.json()["field"].split(".")[-1]


def _listed(created):
    """Return a created subscription as listed: without its secret."""
    return {key: value for key, value in created.items() if key != "secret"}


async def _subscriptions(service, **params):
    response = await service.client.get("/subscriptions", params=params)
    assert response.status_code == 200
    return response.json()


async def test_subscription_created(service):
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": "http://127.0.0.1:9/hook"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "FRA"
    assert body["url"] == "http://127.0.0.1:9/hook"
    assert body["created_at"].endswith("Z")
    assert len(body.pop("secret")) >= 40
    assert await _subscriptions(service) == [body]


async def test_subscriptions_filtered_by_state(service):
    for state in ("FRA", "ITA"):
        response = await service.client.post(
            "/subscriptions", json={"state": state, "url": "http://localhost/hook"}
        )
        assert response.status_code == 201

    found = await _subscriptions(service, state="ITA")

    assert [s["state"] for s in found] == ["ITA"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "XXX", "url": "http://127.0.0.1/hook"}, "state"),
        ({"state": "fra", "url": "http://127.0.0.1/hook"}, "state"),
        ({"state": " FRA", "url": "http://127.0.0.1/hook"}, "state"),
        ({"state": "FR", "url": "http://127.0.0.1/hook"}, "state"),
        ({"state": "FR\x00", "url": "http://127.0.0.1/hook"}, "state"),
        ({"url": "http://127.0.0.1/hook"}, "state"),
        ({"state": "FRA"}, "url"),
        ({"state": "FRA", "url": ""}, "url"),
        ({"state": "FRA", "url": "ftp://127.0.0.1/hook"}, "url"),
        ({"state": "FRA", "url": "javascript:alert(1)"}, "url"),
        ({"state": "FRA", "url": "not a url"}, "url"),
        ({"state": "FRA", "url": "http://10.0.0.7/hook"}, "url"),
        ({"state": "FRA", "url": "http://169.254.169.254/latest"}, "url"),
        ({"state": "FRA", "url": "http://user:pw@127.0.0.1/hook"}, "url"),
        ({"state": "FRA", "url": "http://127.0.0.1/" + "a" * 2000}, "url"),
        ({"state": "FRA", "url": "http://127.0.0.1:0/hook"}, "url"),
    ],
)
async def test_subscription_bad_input_rejected(service, body, field):
    response = await service.client.post("/subscriptions", json=body)

    assert response.status_code == 422
    assert _invalid_field(response) == field
    assert await _subscriptions(service) == []


@pytest.mark.parametrize("state", ["fra", "ZZZ"])
async def test_subscription_state_checked_as_filter(service, state):
    body = {"state": state, "url": "http://127.0.0.1/hook"}

    created = await service.client.post("/subscriptions", json=body)
    listed = await service.client.get("/subscriptions", params={"state": state})

    assert created.status_code == 422
    assert created.json() == listed.json()
    assert created.json()["field"] == "state"
    [problem] = created.json()["problems"]
    assert problem["message"].startswith(f"unknown State {state!r}; expected")
    assert await _subscriptions(service) == []


async def test_subscription_duplicate_conflicts(service):
    body = {"state": "FRA", "url": "http://127.0.0.1/hook"}
    first = await service.client.post("/subscriptions", json=body)

    second = await service.client.post("/subscriptions", json=body)

    assert first.status_code == 201
    assert second.status_code == 409
    assert "FRA" in second.json()["detail"]
    assert await _subscriptions(service) == [_listed(first.json())]


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("HTTP://LOCALHOST:18999/x", "http://localhost:18999/x"),
        ("http://127.0.0.1:80/Hook", "http://127.0.0.1/Hook"),
        ("https://127.0.0.1:443/hook", "https://127.0.0.1/hook"),
        ("https://127.0.0.1:80/hook", "https://127.0.0.1:80/hook"),
        ("http://127.0.0.1/hook?", "http://127.0.0.1/hook"),
        ("http://127.0.0.1/hook#", "http://127.0.0.1/hook"),
        ("http://127.0.0.1/hook?a=1#top", "http://127.0.0.1/hook?a=1"),
        ("http://127.0.0.1", "http://127.0.0.1/"),
        ("http://127.0.0.1:8080/A%2Fb?Q=1", "http://127.0.0.1:8080/A%2Fb?Q=1"),
    ],
)
async def test_subscription_url_normalized(service, url, stored):
    response = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": url}
    )

    assert response.status_code == 201, response.text
    assert response.json()["url"] == stored
    assert [s["url"] for s in await _subscriptions(service)] == [stored]


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://LOCALHOST:18999/x",
        "http://localhost:18999/x?",
        "http://localhost:18999/x#",
        "http://Localhost:18999/x?#",
    ],
)
async def test_equivalent_url_conflicts(service, url):
    body = {"state": "FRA", "url": "http://localhost:18999/x"}
    first = await service.client.post("/subscriptions", json=body)

    second = await service.client.post("/subscriptions", json={**body, "url": url})

    assert first.status_code == 201
    assert second.status_code == 409
    assert "http://localhost:18999/x" in second.json()["detail"]
    assert await _subscriptions(service) == [_listed(first.json())]


async def test_default_port_url_conflicts(service):
    first = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": "http://127.0.0.1/hook"}
    )

    second = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": "http://127.0.0.1:80/hook"}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert await _subscriptions(service) == [_listed(first.json())]


async def test_subscription_deleted(service):
    created = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": "http://127.0.0.1/hook"}
    )

    response = await service.client.delete(f"/subscriptions/{created.json()['id']}")

    assert response.status_code == 204
    assert await _subscriptions(service) == []


async def test_subscription_delete_unknown(service):
    created = await service.client.post(
        "/subscriptions", json={"state": "FRA", "url": "http://127.0.0.1/hook"}
    )

    response = await service.client.delete("/subscriptions/no-such-id")

    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]
    assert await _subscriptions(service) == [_listed(created.json())]


@pytest.mark.parametrize("state", ["F1", "ita", "ZZZ"])
@pytest.mark.parametrize("path", ["/subscriptions", "/notifications", "/contacts"])
async def test_bad_state_filter(service, path, state):
    response = await service.client.get(path, params={"state": state})

    assert response.status_code == 422
    assert _invalid_field(response) == "state"


async def test_notifications_filtered(service, events):
    drawn = await service.publish(events.lots_drawn())
    started = await service.publish(events.desk_review_started())
    await service.wait_for_notifications(3, event_id=started.id)

    by_state = await service.notifications(state="FRA")
    by_event = await service.notifications(event_id=drawn.id)
    by_type = await service.notifications(event_type=started.type)
    delivered_inbox = await service.notifications(status="delivered", channel="inbox")

    assert [n["event_id"] for n in by_state] == [drawn.id, started.id]
    assert len(by_event) == 3
    assert {n["event_id"] for n in by_type} == {started.id}
    assert len(delivered_inbox) == 6
    assert await service.notifications(status="pending") == []
    assert await service.notifications(channel="webhook") == []


async def test_notifications_paged(service, events):
    await service.publish(events.lots_drawn())
    await service.publish(events.desk_review_started())
    everything = await service.wait_for_notifications(6)

    response = await service.client.get(
        "/notifications", params={"limit": 2, "offset": 3}
    )

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 6
    assert [n["id"] for n in page["items"]] == [n["id"] for n in everything[3:5]]


async def test_notification_fetched(service, events):
    envelope = await service.publish(events.lots_drawn())
    [first, *_] = await service.wait_for_notifications(3, event_id=envelope.id)

    response = await service.client.get(f"/notifications/{first['id']}")

    assert response.status_code == 200
    assert response.json() == first


async def test_notification_unknown(service):
    response = await service.client.get("/notifications/no-such-id")

    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "FRANCE"}, "state"),
        ({"status": "lost"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"event_id": "x" * 65}, "event_id"),
        ({"event_id": "event\x00"}, "event_id"),
        ({"event_type": "palermo.draw.lots_drawn\x00"}, "event_type"),
        ({"contact_id": "\x00"}, "contact_id"),
    ],
)
async def test_notifications_bad_query(service, params, field):
    response = await service.client.get("/notifications", params=params)

    assert response.status_code == 422
    assert _invalid_field(response) == field
