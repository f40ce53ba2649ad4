"""The drawing of lots: which two States review each State under review.

Rules (resolution 8/2, paragraph 7 (c)): two other parties to the
instrument review each State party under review, one from the State's UN
regional group and one from another group, and, if possible, one of them
has a similar legal system. Both must be parties on the date of the draw.

Modes:

- `per_review` (the mechanism's practice, the default): one pair is drawn
  per State under review, on the first instrument of the phase that can
  give it a full pair (the Convention for every current party). For each
  other instrument the same reviewers are kept where they are parties to
  it; a reviewer that is not is replaced by a draw for that instrument
  alone.
- `per_instrument`: one independent pair per State and instrument.

Choices this implementation makes where the resolution is silent:

- "Similar legal system" means sharing the first-listed legal tradition of
  the JuriGlobe classification (so `civil_law` is similar to
  `mixed:civil_law+customary` but not to `mixed:customary+civil_law`).
- Balance: the load of a State is the number of States it reviews (in the
  whole phase in `per_review` mode, per instrument in `per_instrument`
  mode). Each reviewer is drawn from the balance window of its role pool:
  the candidates whose load is at most `BALANCE_SLACK` above the lowest
  load in that pool. The role pool contains every candidate the rules
  allow: a party to the instrument in the right regional group, other than
  the State under review and its other reviewer. Within the window, the
  draw prefers a similar legal system, then avoids reciprocal pairs, then
  takes the least-loaded candidates and picks one of them uniformly.
- Bound guaranteed (tested on the shipped registry and on generated ones):
  a State drawn k times was drawn, on its last draw, from a role pool
  whose every candidate ended the draw with at least k - 1 -
  `BALANCE_SLACK` reviews. So no State reviews more than `BALANCE_SLACK` + 1
  more States than the least-loaded candidate that could have taken its
  place. The bound covers the first draw; a redraw draws from the balance
  window of the pool left after its exclusions.
- Reciprocal pairs (A reviews B while B reviews A for the same instrument)
  are avoided whenever the balance window, narrowed to a similar legal
  system, contains a candidate that is not reciprocal. When it does not,
  a repair step tries to exchange the reviewer with the same-role reviewer
  of another State, keeping every rule, the legal-system outcome and the
  loads, and taking incoming reviewers from the balance window. A
  reciprocal pair remains only when no such exchange exists: in a regional
  group with two parties to an instrument, or where the legal-system
  preference leaves only reciprocal candidates. Known cases on the shipped
  registry (parties on 2025-01-01): Andorra and Bhutan for the Convention,
  whose only candidates sharing the customary tradition are each other and
  Papua New Guinea, and, for some seeds in `per_review` mode, two
  Asia-Pacific parties to the Firearms Protocol of the muslim_law
  tradition.
- A party without a UN regional group (Holy See, Cook Islands, Niue,
  European Union) is never drawn for and never drawn as a reviewer,
  because the rule needs its group; it is listed as not drawn with that
  reason. A party whose group has no other party, or with no party
  outside its group, is listed as not drawn with that reason. No rule is
  relaxed to draw it anyway.

The result is a deterministic function of the eligible parties (code,
regional group and legal system), the instruments in order, the mode, the
seed and `RULESET_VERSION`: anyone with those inputs can re-run the draw.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from palermo_draw.domain.drawing import Drawing
from palermo_draw.domain.model import (
    Assignment,
    DrawMode,
    DrawResult,
    Party,
    rng_for,
)
from palermo_shared.reference.instruments import Instrument


@dataclass(frozen=True)
class Redraw:
    """One repeat of the drawing of lots for one review, as requested.

    `excluded` contains every reviewer replaced in this review so far, this
    request's included: none of them can be drawn again for the review.
    """

    number: int
    instrument: Instrument
    state_under_review: str
    replaced: tuple[str, ...]
    excluded: frozenset[str]
    seed: str


def draw_lots(
    parties: Mapping[Instrument, Sequence[Party]],
    *,
    mode: DrawMode = DrawMode.PER_REVIEW,
    seed: str,
) -> DrawResult:
    """Draw two reviewers for every party to each instrument of `parties`.

    The instruments are drawn in the mapping's order; the order of the
    parties within an instrument does not matter.
    """
    drawing = Drawing(parties, mode=mode, rng=rng_for(mode.value, seed))
    drawing.draw_all()
    return drawing.result()


def redraw(
    parties: Mapping[Instrument, Sequence[Party]],
    *,
    mode: DrawMode,
    current: Sequence[Assignment],
    request: Redraw,
) -> list[Assignment]:
    """Replace the requested reviewers; return the review's changed assignments.

    Raises `NoCandidate` when the rules leave no replacement.
    """
    rng = rng_for(
        "redraw",
        mode.value,
        request.number,
        request.instrument.value,
        request.state_under_review,
        request.seed,
    )
    drawing = Drawing(parties, mode=mode, rng=rng)
    for assignment in current:
        drawing.add(assignment)
    return drawing.replace_reviewers(
        request.instrument,
        request.state_under_review,
        request.replaced,
        excluded=set(request.excluded),
    )


def review_key(mode: DrawMode, instrument: Instrument, state: str) -> tuple[str, ...]:
    """Return the key of one review: its State, plus the instrument per instrument."""
    if mode is DrawMode.PER_REVIEW:
        return (state,)
    return (state, instrument.value)
