import datetime as dt

import pytest

from palermo_shared.reference.instruments import (
    ARTICLES,
    CONVENTION_ARTICLES_ONLY_WITHOUT_UNCAC,
    WORKING_GROUPS,
    WORKPLAN,
    Cluster,
    Instrument,
    WorkingGroup,
    articles_for,
    clusters_reviewed,
)
from palermo_shared.reference.states import load_states, parse_states

CRIM = Cluster.CRIMINALIZATION
PREV = Cluster.PREVENTION
LAW = Cluster.LAW_ENFORCEMENT
COOP = Cluster.INTERNATIONAL_COOPERATION

# Annex table 1 of resolution 8/2, written out independently of the module.
TABLE_1: dict[Instrument, dict[Cluster, tuple[int, ...]]] = {
    Instrument.CONVENTION: {
        CRIM: (2, 5, 6, 8, 9, 10, 15, 23),
        PREV: (24, 25, 29, 30, 31),
        LAW: (7, 11, 19, 20, 22, 26, 27, 28),
        COOP: (12, 13, 14, 16, 17, 18, 21),
    },
    Instrument.TRAFFICKING_IN_PERSONS: {
        CRIM: (3, 5),
        PREV: (6, 7, 9),
        LAW: (11, 12, 13),
        COOP: (8, 10),
    },
    Instrument.SMUGGLING_OF_MIGRANTS: {
        CRIM: (3, 5, 6),
        PREV: (8, 9, 14, 15, 16),
        LAW: (11, 12, 13),
        COOP: (7, 10, 18),
    },
    Instrument.FIREARMS: {
        CRIM: (3, 5, 8),
        PREV: (7, 9, 10, 11, 14, 15),
        LAW: (),
        COOP: (6, 12, 13),
    },
}

TABLE_1_CASES = [
    (instrument, cluster, articles)
    for instrument, clusters in TABLE_1.items()
    for cluster, articles in clusters.items()
]

ENTITIES_WITHOUT_REGIONAL_GROUP = {"VAT", "COK", "NIU", "EUU"}

CSV_HEADER = "iso3,name,regional_group,legal_system,untoc,tip,som,firearms,uncac"


def csv_row(line: str) -> dict[str, str]:
    return dict(zip(CSV_HEADER.split(","), line.split(","), strict=True))


@pytest.mark.parametrize(("instrument", "cluster", "articles"), TABLE_1_CASES)
def test_table_1_articles(
    instrument: Instrument, cluster: Cluster, articles: tuple[int, ...]
) -> None:
    assert articles_for(instrument, cluster, party_to_uncac=False) == articles


def test_table_1_has_no_other_clusters() -> None:
    for instrument, clusters in ARTICLES.items():
        expected = {c for c, articles in TABLE_1[instrument].items() if articles}
        assert set(clusters) == expected, instrument


def test_firearms_has_no_law_enforcement_cluster() -> None:
    assert LAW not in ARTICLES[Instrument.FIREARMS]


def test_uncac_party_skips_articles_8_9() -> None:
    only_without_uncac = CONVENTION_ARTICLES_ONLY_WITHOUT_UNCAC
    articles = articles_for(Instrument.CONVENTION, CRIM, party_to_uncac=True)

    assert only_without_uncac == {8, 9}
    assert articles == (2, 5, 6, 10, 15, 23)


def test_non_uncac_party_keeps_articles_8_9() -> None:
    articles = articles_for(Instrument.CONVENTION, CRIM, party_to_uncac=False)

    assert 8 in articles
    assert 9 in articles


@pytest.mark.parametrize(
    "instrument",
    [
        Instrument.TRAFFICKING_IN_PERSONS,
        Instrument.SMUGGLING_OF_MIGRANTS,
        Instrument.FIREARMS,
    ],
)
def test_articles_8_9_rule_convention_only(instrument: Instrument) -> None:
    for cluster in Cluster:
        with_uncac = articles_for(instrument, cluster, party_to_uncac=True)
        without_uncac = articles_for(instrument, cluster, party_to_uncac=False)
        assert with_uncac == without_uncac, cluster


def test_workplan_periods() -> None:
    assert WORKPLAN["I-II"].clusters == ()
    assert WORKPLAN["III-VI"].clusters == (CRIM, COOP)
    assert WORKPLAN["VII-X"].clusters == (LAW, PREV)


def test_workplan_covers_every_cluster_once() -> None:
    reviewed = [c for period in WORKPLAN.values() for c in period.clusters]

    assert sorted(reviewed) == sorted(Cluster)


def test_clusters_reviewed_skips_missing_cluster() -> None:
    assert clusters_reviewed(Instrument.FIREARMS, "VII-X") == (PREV,)
    assert clusters_reviewed(Instrument.CONVENTION, "VII-X") == (LAW, PREV)
    assert clusters_reviewed(Instrument.FIREARMS, "III-VI") == (CRIM, COOP)


def test_working_groups() -> None:
    assert WORKING_GROUPS == {
        Instrument.CONVENTION: (
            WorkingGroup.INTERNATIONAL_COOPERATION_AND_TECHNICAL_ASSISTANCE
        ),
        Instrument.TRAFFICKING_IN_PERSONS: WorkingGroup.TRAFFICKING_IN_PERSONS,
        Instrument.SMUGGLING_OF_MIGRANTS: WorkingGroup.SMUGGLING_OF_MIGRANTS,
        Instrument.FIREARMS: WorkingGroup.FIREARMS,
    }


def test_states_csv_has_198_entities() -> None:
    assert len(load_states()) == 198


def test_states_keyed_by_iso3() -> None:
    states = load_states()

    for iso3, state in states.items():
        assert state.iso3 == iso3
        assert len(iso3) == 3


def test_states_without_regional_group() -> None:
    states = load_states().values()

    without_group = {s.iso3 for s in states if s.regional_group is None}

    assert without_group == ENTITIES_WITHOUT_REGIONAL_GROUP


def test_regional_group_counts() -> None:
    counts: dict[str | None, int] = {}
    for state in load_states().values():
        counts[state.regional_group] = counts.get(state.regional_group, 0) + 1

    assert counts == {
        "African": 54,
        "Asia-Pacific": 55,
        "Eastern European": 23,
        "Latin American and Caribbean": 33,
        "Western European and Others": 29,
        None: 4,
    }


def test_undated_party_is_party_any_day() -> None:
    fiji = load_states()["FJI"]

    assert not fiji.instruments[Instrument.CONVENTION].dated
    assert fiji.party_to(Instrument.CONVENTION, dt.date(1900, 1, 1))
    assert fiji.party_to(Instrument.CONVENTION, dt.date(2100, 1, 1))


def test_dated_party_from_deposit_date() -> None:
    bhutan = load_states()["BTN"]

    assert not bhutan.party_to(Instrument.CONVENTION, dt.date(2023, 3, 20))
    assert bhutan.party_to(Instrument.CONVENTION, dt.date(2023, 3, 21))


def test_empty_cell_is_not_party() -> None:
    somalia = load_states()["SOM"]

    assert not somalia.party_to(Instrument.CONVENTION, dt.date(2100, 1, 1))
    assert not somalia.party_to_uncac(dt.date(2100, 1, 1))


def test_uncac_party_status() -> None:
    states = load_states()

    assert states["ALB"].party_to_uncac(dt.date(2006, 5, 25))
    assert not states["ALB"].party_to_uncac(dt.date(2006, 5, 24))


def test_legal_traditions_split_mixed_systems() -> None:
    algeria = load_states()["DZA"]

    assert algeria.legal_traditions == ("civil_law", "muslim_law")


def test_legal_traditions_empty_without_classification() -> None:
    assert load_states()["EUU"].legal_traditions == ()


def test_bad_date_raises_clear_error() -> None:
    rows = [csv_row("ALB,Albania,Eastern European,civil_law,2002-31-08,,,,")]

    with pytest.raises(ValueError, match=r"invalid date '2002-31-08' for ALB") as info:
        parse_states(rows)
    assert "'untoc'" in str(info.value)


def test_parse_states_trims_and_upper_cases() -> None:
    rows = [csv_row(" alb , Albania ,Eastern European, civil_law ,yes,, ,,")]

    state = parse_states(rows)["ALB"]

    assert state.name == "Albania"
    assert state.legal_system == "civil_law"
    assert set(state.instruments) == {Instrument.CONVENTION}
    assert state.uncac is None
