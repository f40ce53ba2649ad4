"""Instruments, thematic clusters and the multi-year workplan.

Source: resolution 8/2 of the Conference of the Parties to the United Nations
Convention against Transnational Organized Crime, annex tables 1 and 2.
"""

from dataclasses import dataclass
from enum import StrEnum


class Instrument(StrEnum):
    CONVENTION = "convention"
    TRAFFICKING_IN_PERSONS = "trafficking_in_persons"
    SMUGGLING_OF_MIGRANTS = "smuggling_of_migrants"
    FIREARMS = "firearms"


class Cluster(StrEnum):
    CRIMINALIZATION = "criminalization"
    PREVENTION = "prevention"
    LAW_ENFORCEMENT = "law_enforcement"
    INTERNATIONAL_COOPERATION = "international_cooperation"


INSTRUMENT_TITLES: dict[Instrument, str] = {
    Instrument.CONVENTION: (
        "United Nations Convention against Transnational Organized Crime"
    ),
    Instrument.TRAFFICKING_IN_PERSONS: (
        "Protocol to Prevent, Suppress and Punish Trafficking in Persons, "
        "Especially Women and Children"
    ),
    Instrument.SMUGGLING_OF_MIGRANTS: (
        "Protocol against the Smuggling of Migrants by Land, Sea and Air"
    ),
    Instrument.FIREARMS: (
        "Protocol against the Illicit Manufacturing of and Trafficking in "
        "Firearms, Their Parts and Components and Ammunition"
    ),
}

CLUSTER_TITLES: dict[Cluster, str] = {
    Cluster.CRIMINALIZATION: "Criminalization and jurisdiction",
    Cluster.PREVENTION: (
        "Prevention, technical assistance, protection measures and other measures"
    ),
    Cluster.LAW_ENFORCEMENT: "Law enforcement and the judicial system",
    Cluster.INTERNATIONAL_COOPERATION: (
        "International cooperation, mutual legal assistance and confiscation"
    ),
}

# Annex table 1. The Firearms Protocol has no law-enforcement cluster.
ARTICLES: dict[Instrument, dict[Cluster, tuple[int, ...]]] = {
    Instrument.CONVENTION: {
        Cluster.CRIMINALIZATION: (2, 5, 6, 8, 9, 10, 15, 23),
        Cluster.PREVENTION: (24, 25, 29, 30, 31),
        Cluster.LAW_ENFORCEMENT: (7, 11, 19, 20, 22, 26, 27, 28),
        Cluster.INTERNATIONAL_COOPERATION: (12, 13, 14, 16, 17, 18, 21),
    },
    Instrument.TRAFFICKING_IN_PERSONS: {
        Cluster.CRIMINALIZATION: (3, 5),
        Cluster.PREVENTION: (6, 7, 9),
        Cluster.LAW_ENFORCEMENT: (11, 12, 13),
        Cluster.INTERNATIONAL_COOPERATION: (8, 10),
    },
    Instrument.SMUGGLING_OF_MIGRANTS: {
        Cluster.CRIMINALIZATION: (3, 5, 6),
        Cluster.PREVENTION: (8, 9, 14, 15, 16),
        Cluster.LAW_ENFORCEMENT: (11, 12, 13),
        Cluster.INTERNATIONAL_COOPERATION: (7, 10, 18),
    },
    Instrument.FIREARMS: {
        Cluster.CRIMINALIZATION: (3, 5, 8),
        Cluster.PREVENTION: (7, 9, 10, 11, 14, 15),
        Cluster.INTERNATIONAL_COOPERATION: (6, 12, 13),
    },
}

# Annex table 1, note a: articles 8 and 9 of the Convention are reviewed only
# for States parties to the Convention that are not party to the United
# Nations Convention against Corruption.
CONVENTION_ARTICLES_ONLY_WITHOUT_UNCAC: frozenset[int] = frozenset({8, 9})


class WorkingGroup(StrEnum):
    INTERNATIONAL_COOPERATION_AND_TECHNICAL_ASSISTANCE = (
        "international_cooperation_and_technical_assistance"
    )
    TRAFFICKING_IN_PERSONS = "trafficking_in_persons"
    SMUGGLING_OF_MIGRANTS = "smuggling_of_migrants"
    FIREARMS = "firearms"


# Annex table 2, note a: the Convention is reviewed by the Working Group on
# International Cooperation together with the Working Group of Government
# Experts on Technical Assistance; each Protocol by its own working group.
WORKING_GROUPS: dict[Instrument, WorkingGroup] = {
    Instrument.CONVENTION: (
        WorkingGroup.INTERNATIONAL_COOPERATION_AND_TECHNICAL_ASSISTANCE
    ),
    Instrument.TRAFFICKING_IN_PERSONS: WorkingGroup.TRAFFICKING_IN_PERSONS,
    Instrument.SMUGGLING_OF_MIGRANTS: WorkingGroup.SMUGGLING_OF_MIGRANTS,
    Instrument.FIREARMS: WorkingGroup.FIREARMS,
}


@dataclass(frozen=True)
class WorkplanPeriod:
    """One period of the multi-year workplan and the clusters it reviews."""

    years: str
    clusters: tuple[Cluster, ...]
    description: str


# Annex table 2. Years I-II define organizational matters and the
# questionnaires, so no cluster is reviewed in them.
WORKPLAN: dict[str, WorkplanPeriod] = {
    "I-II": WorkplanPeriod(
        "I-II", (), "Definition of organizational matters and questionnaire"
    ),
    "III-VI": WorkplanPeriod(
        "III-VI",
        (Cluster.CRIMINALIZATION, Cluster.INTERNATIONAL_COOPERATION),
        "Criminalization; international cooperation, mutual legal assistance "
        "and confiscation",
    ),
    "VII-X": WorkplanPeriod(
        "VII-X",
        (Cluster.LAW_ENFORCEMENT, Cluster.PREVENTION),
        "Law enforcement and judicial system; prevention, assistance, "
        "protection measures and other measures",
    ),
}


def clusters_reviewed(instrument: Instrument, years: str) -> tuple[Cluster, ...]:
    """Return the clusters of `instrument` reviewed in the workplan period `years`.

    A cluster that the instrument does not have (law enforcement for the
    Firearms Protocol) is left out.
    """
    period = WORKPLAN[years]
    return tuple(c for c in period.clusters if c in ARTICLES[instrument])


def articles_for(
    instrument: Instrument, cluster: Cluster, *, party_to_uncac: bool
) -> tuple[int, ...]:
    """Return the articles of one cluster that apply to a given State party."""
    articles = ARTICLES[instrument].get(cluster, ())
    if instrument is Instrument.CONVENTION and party_to_uncac:
        return tuple(
            a for a in articles if a not in CONVENTION_ARTICLES_ONLY_WITHOUT_UNCAC
        )
    return articles
