"""The States-parties registry: dated changes through the API and CSV imports."""

import asyncio
from importlib import resources

import pytest

from palermo_shared.contracts.draw import StatePartyUpdated
from palermo_shared.events import TOPIC_DRAW, payload_of
from palermo_shared.reference.states import load_states

HEADER = "iso3,name,regional_group,legal_system,untoc,tip,som,firearms,uncac"
NEW_PARTY = {
    "effective_date": "2026-01-01",
    "name": "Andorra",
    "regional_group": "Western European and Others",
    "legal_system": "customary",
    "untoc": "2011-09-22",
    "tip": "",
    "som": "",
    "firearms": "2025-12-01",
    "uncac": "",
}


async def registry_state(draw_service) -> tuple[list, list]:
    changes = (await draw_service.client.get("/registry-changes")).json()
    states = (
        await draw_service.client.get("/states", params={"on": "2030-01-01"})
    ).json()
    return changes, states


async def test_change_applies_from_effective_date(draw_service) -> None:
    response = await draw_service.client.put("/states/AND", json=NEW_PARTY)

    assert response.status_code == 200, response.text
    before = await draw_service.client.get("/states/AND", params={"on": "2025-12-31"})
    after = await draw_service.client.get("/states/AND", params={"on": "2026-01-01"})
    assert "firearms" not in before.json()["instruments"]
    assert after.json()["instruments"]["firearms"] == {"deposit_date": "2025-12-01"}


@pytest.mark.parametrize("code", ["and", "An1"])
async def test_change_of_bad_code_invalid(draw_service, code) -> None:
    before = await registry_state(draw_service)

    response = await draw_service.client.put(f"/states/{code}", json=NEW_PARTY)

    assert response.status_code == 422
    assert response.json()["field"] == "iso3"
    [problem] = response.json()["problems"]
    assert problem["message"].startswith(f"invalid State code {code!r}; expected")
    assert await registry_state(draw_service) == before


async def test_change_published(draw_service) -> None:
    await draw_service.client.put("/states/AND", json=NEW_PARTY)

    [envelope] = await draw_service.wait_for_events(
        TOPIC_DRAW, StatePartyUpdated.event_type, 1
    )

    event = payload_of(envelope)
    assert isinstance(event, StatePartyUpdated)
    assert event.iso3 == "AND"
    assert event.effective_date.isoformat() == "2026-01-01"
    assert event.parties["firearms"] == "2025-12-01"
    assert event.source == "api"


async def test_new_entity_added(draw_service) -> None:
    body = {**NEW_PARTY, "name": "Atlantis", "regional_group": "African"}

    await draw_service.client.put("/states/ATL", json=body)

    state = await draw_service.client.get("/states/ATL", params={"on": "2026-02-01"})
    assert state.json()["regional_group"] == "African"
    missing = await draw_service.client.get("/states/ATL", params={"on": "2025-01-01"})
    assert missing.status_code == 404


async def test_draw_uses_registry_of_draw_date(draw_service, draw_phase) -> None:
    await draw_service.client.put("/states/AND", json=NEW_PARTY)

    early = await draw_phase(instruments=("firearms",), draw_date="2025-06-01")
    late = await draw_phase(
        years="VII-X", instruments=("firearms",), draw_date="2026-06-01"
    )

    early_states = {a["state_under_review"] for a in early.draw["assignments"]}
    late_states = {a["state_under_review"] for a in late.draw["assignments"]}
    assert "AND" not in early_states
    assert "AND" in late_states


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"regional_group": "Europe"}, "regional_group"),
        ({"legal_system": "roman_law"}, "legal_system"),
        ({"legal_system": "mixed:civil_law"}, "legal_system"),
        ({"untoc": "2011-13-01"}, "untoc"),
        ({"uncac": "no"}, "uncac"),
        ({"name": "Andorra\x00"}, "name"),
        ({"name": "And\norra"}, "name"),
        ({"legal_system": "customary\x00"}, "legal_system"),
    ],
)
async def test_change_invalid_cell(draw_service, change, field) -> None:
    before = await registry_state(draw_service)

    response = await draw_service.client.put(
        "/states/AND", json={**NEW_PARTY, **change}
    )

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await registry_state(draw_service) == before


async def test_change_without_date_invalid(draw_service) -> None:
    body = {k: v for k, v in NEW_PARTY.items() if k != "effective_date"}

    response = await draw_service.client.put("/states/AND", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == "effective_date"


@pytest.mark.parametrize("effective_date", ["1900-01-01", "9999-12-31"])
async def test_change_implausible_date_invalid(draw_service, effective_date) -> None:
    before = await registry_state(draw_service)
    body = {**NEW_PARTY, "effective_date": effective_date}

    response = await draw_service.client.put("/states/AND", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == "effective_date"
    assert await registry_state(draw_service) == before


async def test_csv_import_implausible_date_invalid(draw_service) -> None:
    before = await registry_state(draw_service)
    text = "\n".join([HEADER, "ATL,Atlantis,African,civil_law,yes,,,,"])

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "9999-12-31"}, content=text
    )

    assert response.status_code == 422
    assert response.json()["field"] == "effective_date"
    assert await registry_state(draw_service) == before


async def test_csv_import_stored(draw_service) -> None:
    text = "\n".join(
        [
            HEADER,
            "AND,Andorra,Western European and Others,customary,2011-09-22,,,"
            "2025-12-01,",
            "ATL,Atlantis,African,civil_law,yes,,,,",
        ]
    )

    response = await draw_service.client.post(
        "/states/import",
        params={"effective_date": "2026-01-01"},
        content=text,
        headers={"content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["AND", "ATL"]
    changes, states = await registry_state(draw_service)
    assert [c["source"] for c in changes] == ["csv_import", "csv_import"]
    assert "ATL" in {s["iso3"] for s in states}
    events = await draw_service.wait_for_events(
        TOPIC_DRAW, StatePartyUpdated.event_type, 2
    )
    assert len(events) == 2


ANDORRA_ROW = "AND,Andorra,Western European and Others,customary,2011-09-22,,,,"
ATLANTIS_ROW = "ATL,Atlantis,African,civil_law,yes,,,,"


async def import_csv(draw_service, *rows: str, effective_date: str = "2026-01-01"):
    response = await draw_service.client.post(
        "/states/import",
        params={"effective_date": effective_date},
        content="\n".join([HEADER, *rows]),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_csv_import_repeated_records_nothing(draw_service) -> None:
    await import_csv(draw_service, ANDORRA_ROW, ATLANTIS_ROW)
    before = await registry_state(draw_service)

    again = await import_csv(draw_service, ANDORRA_ROW, ATLANTIS_ROW)

    assert again["changed"] == []
    assert again["recorded"] == 0
    assert again["already_recorded"] == 2
    assert await registry_state(draw_service) == before


async def test_csv_import_overlap_records_new_rows(draw_service) -> None:
    first = await import_csv(draw_service, ANDORRA_ROW, ATLANTIS_ROW)
    moved = ATLANTIS_ROW.replace("African", "Asia-Pacific")

    second = await import_csv(
        draw_service, ANDORRA_ROW, moved, "BBB,Bora Bora,African,,yes,,,,"
    )

    assert first["recorded"] == 2
    assert first["already_recorded"] == 0
    assert second["changed"] == ["ATL", "BBB"]
    assert second["recorded"] == 2
    assert second["already_recorded"] == 1
    changes, states = await registry_state(draw_service)
    assert [c["iso3"] for c in changes] == ["AND", "ATL", "ATL", "BBB"]
    atlantis = next(s for s in states if s["iso3"] == "ATL")
    assert atlantis["regional_group"] == "Asia-Pacific"
    # The relay publishes in the order of recording, so once the last new
    # row's event is out, any event of a repeated row would be out too.
    events = await draw_service.wait_for_events(
        TOPIC_DRAW, StatePartyUpdated.event_type, 4
    )
    assert [payload_of(e).iso3 for e in events] == ["AND", "ATL", "ATL", "BBB"]


async def test_csv_import_on_other_date_recorded(draw_service) -> None:
    await import_csv(draw_service, ANDORRA_ROW)

    later = await import_csv(draw_service, ANDORRA_ROW, effective_date="2026-02-01")

    assert later["changed"] == ["AND"]
    assert later["recorded"] == 1
    assert later["already_recorded"] == 0


async def test_concurrent_same_imports_record_once(draw_service) -> None:
    imports = [import_csv(draw_service, ANDORRA_ROW, ATLANTIS_ROW) for _ in range(4)]

    results = await asyncio.gather(*imports)

    assert sorted(r["recorded"] for r in results) == [0, 0, 0, 2]
    changes, _states = await registry_state(draw_service)
    assert [c["iso3"] for c in changes] == ["AND", "ATL"]


async def test_same_change_stored_once(draw_service) -> None:
    first = await draw_service.client.put("/states/AND", json=NEW_PARTY)

    again = await draw_service.client.put("/states/AND", json=NEW_PARTY)

    assert again.status_code == 200
    assert again.json() == first.json()
    changes, _states = await registry_state(draw_service)
    assert len(changes) == 1


async def test_restored_change_stored_again(draw_service) -> None:
    corrected = {**NEW_PARTY, "legal_system": "civil_law"}
    await draw_service.client.put("/states/AND", json=NEW_PARTY)
    await draw_service.client.put("/states/AND", json=corrected)

    restored = await draw_service.client.put("/states/AND", json=NEW_PARTY)

    assert restored.status_code == 200
    changes, _states = await registry_state(draw_service)
    assert len(changes) == 3
    state = await draw_service.client.get("/states/AND", params={"on": "2026-01-01"})
    assert state.json()["legal_system"] == "customary"


async def test_csv_header_spaces_keep_cells(draw_service) -> None:
    header = ", ".join(HEADER.split(","))
    row = "AND,Andorra,Western European and Others,customary,2011-09-22,"
    row += "2012-01-01,,2025-12-01,"

    response = await draw_service.client.post(
        "/states/import",
        params={"effective_date": "2026-01-01"},
        content="\n".join([header, row]),
    )

    assert response.status_code == 200, response.text
    [change] = (await draw_service.client.get("/registry-changes")).json()
    assert change["row"]["name"] == "Andorra"
    assert change["row"]["tip"] == "2012-01-01"
    assert change["row"]["firearms"] == "2025-12-01"


async def test_csv_carriage_return_lines_imported(draw_service) -> None:
    text = "\r".join([HEADER, ANDORRA_ROW, ATLANTIS_ROW]) + "\r"

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["AND", "ATL"]


@pytest.mark.parametrize(
    ("content", "advice"),
    [
        (b"", "the CSV is empty"),
        (b"\r\n", "the CSV is empty"),
        (HEADER.replace(",", ";").encode(), "separate them with commas"),
        (f"{HEADER}\nAND,Andorra \xe9,,,,,,,".encode("latin-1"), "save the file"),
    ],
    ids=["empty", "blank", "semicolons", "latin-1"],
)
async def test_csv_unreadable_file_explained(draw_service, content, advice) -> None:
    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=content
    )

    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert advice in response.json()["detail"]


async def test_shipped_csv_imports(draw_service) -> None:
    text = (
        resources.files("palermo_shared.reference")
        .joinpath("data", "states.csv")
        .read_text(encoding="utf-8")
    )

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 200, response.text
    assert len(response.json()["changed"]) == len(load_states())


@pytest.mark.parametrize(
    ("rows", "row", "column"),
    [
        (
            ["AND,Andorra,Western European and Others,customary,2011-09-22,,,,"],
            None,
            None,
        ),
        (["ANDX,Andorra,,,,,,,"], 2, "iso3"),
        (["AND,Andorra,,,,,,,", "ita,Italy,,,,,,,"], 3, "iso3"),
        (["AND,,,,,,,,"], 2, "name"),
        (["AND,Andorra,,,,,,,", "ATL,Atlantis,Oceania,,,,,,"], 3, "regional_group"),
        (["AND,Andorra,,,,,,,", "BBB,B,,,,,,31/12/2020,"], 3, "firearms"),
        (["AND,Andorra,,,,,,,", "BBB,B,,,1066-01-01,,,,"], 3, "untoc"),
        (["AND,Andorra,,,,,,,", "BBB,B,,,,,,,2999-01-01"], 3, "uncac"),
        (["AND,Andorra,,,,,,,", "AND,Andorra,,,,,,,"], 3, "iso3"),
        (["AND,Andorra,,,,,,,", "ATL,Atl\x00antis,,,,,,,"], 3, "name"),
    ],
    ids=[
        "valid",
        "code",
        "lower-case",
        "name",
        "group",
        "date",
        "early",
        "future",
        "repeat",
        "control",
    ],
)
async def test_csv_bad_row_rejects_file(draw_service, rows, row, column) -> None:
    before = await registry_state(draw_service)
    text = "\n".join([HEADER, *rows])

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    if row is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json()["row"] == row
    assert response.json()["column"] == column
    assert f"row {row}, column {column}" in response.json()["detail"]
    assert await registry_state(draw_service) == before


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (['QQQ,"unterminated,African,civil_law,,,,,'], "unexpected end of data"),
        (["AND,Andorra,,,,,,,,extra"], "row 2 has 10 cells where the header has 9"),
        (
            ["AND,Andorra,,,,,,", "ATL,A,,,,,,"],
            "row 2 has 8 cells where the header has 9",
        ),
    ],
    ids=["open-quote", "extra-cell", "short-row"],
)
async def test_csv_malformed_rejects_file(draw_service, rows, message) -> None:
    before = await registry_state(draw_service)
    text = "\n".join([HEADER, *rows])

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert message in response.json()["detail"]
    assert await registry_state(draw_service) == before


@pytest.mark.parametrize("row", [2, 3, 4])
async def test_csv_open_quote_row_named(draw_service, row) -> None:
    complete = [f"{code},Name,,,,,,," for code in ("QQA", "QQB")][: row - 2]
    text = "\n".join([HEADER, *complete, 'QQQ,"open,African,,,,,,', "QQC,C,,,,,,,"])

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 422
    assert response.json()["row"] == row
    assert f"unreadable CSV at row {row}" in response.json()["detail"]


async def test_csv_over_limit_too_large(draw_service) -> None:
    before = await registry_state(draw_service)
    text = HEADER + "\n" + "QQA,Name,,,,,,,\n" * 70_000

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert await registry_state(draw_service) == before


async def test_change_with_code_in_body_invalid(draw_service) -> None:
    before = await registry_state(draw_service)

    response = await draw_service.client.put(
        "/states/AND", json={**NEW_PARTY, "iso3": "ABC"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "iso3"
    assert await registry_state(draw_service) == before


async def test_csv_missing_column_rejected(draw_service) -> None:
    text = "iso3,name,regional_group,legal_system,untoc,tip,som,uncac\nAND,A,,,,,,"

    response = await draw_service.client.post(
        "/states/import", params={"effective_date": "2026-01-01"}, content=text
    )

    assert response.status_code == 422
    assert response.json()["column"] == "firearms"
    assert (await draw_service.client.get("/registry-changes")).json() == []


async def test_csv_not_utf8_rejected(draw_service) -> None:
    response = await draw_service.client.post(
        "/states/import",
        params={"effective_date": "2026-01-01"},
        content=HEADER.encode() + b"\nAND,And\xe9rra,,,,,,,",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "body"


async def test_csv_without_date_rejected(draw_service) -> None:
    response = await draw_service.client.post("/states/import", content=HEADER)

    assert response.status_code == 422
    assert response.json()["field"] == "effective_date"


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x"]
)
async def test_import_of_json_or_form_unsupported(draw_service, content_type) -> None:
    response = await draw_service.client.post(
        "/states/import",
        params={"effective_date": "2026-01-01"},
        content='{"iso3": "ITA"}',
        headers={"content-type": content_type},
    )

    assert response.status_code == 415
    assert response.json()["field"] == "content-type"
    assert "sent with Content-Type text/csv" in response.json()["detail"]
