"""Invalid input with every problem found, up to a bound."""

from typing import Any

from palermo_shared.errors import InvalidInput

# A body of 200,000 unknown answers made an error response of about 20 MB.
# The first problems are enough to correct a request and send it again.
MAX_LISTED_PROBLEMS = 100


def invalid_input(message: str, problems: list[dict[str, Any]]) -> InvalidInput:
    """Return the error for `problems`, listing the first `MAX_LISTED_PROBLEMS`."""
    summary = f"{message}: {len(problems)} problem(s)"
    if len(problems) > MAX_LISTED_PROBLEMS:
        summary += f", the first {MAX_LISTED_PROBLEMS} listed"
    return InvalidInput(
        summary,
        field=problems[0]["field"],
        problems=problems[:MAX_LISTED_PROBLEMS],
    )
