"""Identifiers for new events and rows: UUID version 7 (RFC 9562).

A version 7 UUID starts with its creation time in milliseconds, so ids made
one after another sort together. A row keyed or indexed by such an id goes
at the end of its B-tree index. A random version 4 id lands on any page of
the index instead, so once the index outgrows the database's page cache
most inserts read and write a page of their own. Measured on SQLite with
the notification table, inserting 15,000 rows with version 4 ids took
12 µs a row on average, and 60,000 rows took 27 µs a row. With version 7
ids, both took about 8.5 µs a row.

Anyone can read the creation time from the id, which reveals nothing new.
Every event carries its time, and every row given such an id records when
it was made.

uuid-utils makes them because the standard library's `uuid` module has no
`uuid7` before Python 3.14.
"""

import uuid_utils


def new_id() -> str:
    """Return a new UUID version 7 in its canonical 36-character form."""
    return str(uuid_utils.uuid7())
