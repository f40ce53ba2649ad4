"""`palermo-draw-verify RECORD.json`: re-run a published draw and compare.

RECORD.json is the body of `GET /api/v1/draw/phases/{phase_id}/draw/record`.
The command prints "verified" and exits with 0 when the re-run gives the
published result, including every redraw in order. Otherwise it prints
each difference and exits with 1. An unreadable record exits with 2.
"""

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from palermo_draw.domain.verification import verify
from palermo_draw.record import DrawRecord, published_draw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="palermo-draw-verify",
        description="Re-run a published drawing of lots from its record and "
        "confirm or refute its result.",
    )
    parser.add_argument(
        "record", type=Path, help="JSON file returned by GET .../draw/record"
    )
    args = parser.parse_args(argv)

    try:
        record = DrawRecord.model_validate_json(args.record.read_bytes())
    except (OSError, ValidationError, json.JSONDecodeError) as error:
        print(f"cannot read the record {args.record}: {error}", file=sys.stderr)
        return 2

    differences = verify(published_draw(record))
    if not differences:
        print(
            f"verified: phase {record.phase_id}, {len(record.assignments)} "
            f"assignments, {len(record.redraws)} redraws"
        )
        return 0
    print(f"refuted: phase {record.phase_id}, {len(differences)} differences")
    for difference in differences:
        print(f"  {difference}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
