"""Log records of the Kafka client, thinned while it repeats itself."""

import logging

import pytest

from palermo_shared.logs import RepeatFilter, configure_logging


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_repeats_left_out_then_counted(clock: FakeClock) -> None:
    repeats_filter = RepeatFilter(60, clock=clock)
    message = "Unable connect to node with id %s: %s"

    first = repeats_filter.filter(record("aiokafka.conn", message, 1, "refused"))
    repeats = [
        repeats_filter.filter(record("aiokafka.conn", message, 1, "reset"))
        for _ in range(9)
    ]
    clock.now += 61
    later = record("aiokafka.conn", message, 1, "refused")
    passed_later = repeats_filter.filter(later)

    assert first is True
    assert repeats == [False] * 9
    assert passed_later is True
    assert later.getMessage() == (
        "Unable connect to node with id 1: refused "
        "(9 more like this left out in the last 60 s)"
    )


def test_other_messages_and_loggers_pass(clock: FakeClock) -> None:
    repeats_filter = RepeatFilter(60, clock=clock)

    results = [
        repeats_filter.filter(record("aiokafka.conn", "connection failed")),
        repeats_filter.filter(record("aiokafka.consumer", "connection failed")),
        repeats_filter.filter(record("aiokafka.conn", "commit failed")),
        repeats_filter.filter(record("palermo_shared.inbox", "retrying")),
        repeats_filter.filter(record("palermo_shared.inbox", "retrying")),
    ]

    assert results == [True] * 5


def test_configured_handler_thins_repeats(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("text", "INFO")
        for _ in range(20):
            logging.getLogger("aiokafka.conn").error("Unable connect to node")
        logging.getLogger("palermo_shared.inbox").info("consumer started")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("Unable connect to node")
    assert lines[1].endswith("consumer started")
