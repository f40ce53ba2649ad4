"""Trace context in message headers."""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from palermo_shared.telemetry import extract_context, inject_headers

# A provider of the test's own, because the global one can be set only once
# per process.
tracer = TracerProvider().get_tracer(__name__)


def carried_span_id(headers: tuple[tuple[str, bytes], ...]) -> int:
    span = trace.get_current_span(extract_context(headers))
    return span.get_span_context().span_id


def test_headers_follow_the_current_span() -> None:
    with tracer.start_as_current_span("first") as first:
        in_first = inject_headers()
        again_in_first = inject_headers()
        with tracer.start_as_current_span("nested") as nested:
            in_nested = inject_headers()
        back_in_first = inject_headers()
    with tracer.start_as_current_span("second") as second:
        in_second = inject_headers()
    outside = inject_headers()

    first_id = first.get_span_context().span_id
    assert carried_span_id(in_first) == first_id
    assert carried_span_id(again_in_first) == first_id
    assert carried_span_id(in_nested) == nested.get_span_context().span_id
    assert carried_span_id(back_in_first) == first_id
    assert carried_span_id(in_second) == second.get_span_context().span_id
    assert outside == ()
