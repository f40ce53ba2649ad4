"""OpenTelemetry set-up and trace context in message headers.

Traces cross HTTP through the FastAPI and httpx instrumentations, and cross
the bus through W3C `traceparent` headers: the outbox stores the context of
the transaction that wrote the event, and consumers continue that trace.
"""

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span

logger = logging.getLogger(__name__)


def configure_tracing(
    service_name: str,
    *,
    otlp_endpoint: str | None,
    exporter: SpanExporter | None = None,
) -> None:
    """Install a tracer provider that exports to OTLP/HTTP when an endpoint is set.

    Without an endpoint or exporter, spans are still created (ids appear in
    logs and headers) but sent nowhere. Called once by each entry point.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
        logger.info("exporting traces to %s", otlp_endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()


# Query parameters whose values spans leave out. Browsers cannot set headers
# on an EventSource, so the gateway's event stream takes the bearer token as
# `access_token`, the parameter RFC 6750 (section 2.3) names.
SECRET_QUERY_PARAMETERS = frozenset({"access_token"})

# The span attributes of the request URL, in the old and the stable HTTP
# semantic conventions, and whether each contains the whole URL.
_URL_ATTRIBUTES = {"http.url": True, "url.full": True, "url.query": False}


def instrument_app(app: FastAPI, tracer_provider: TracerProvider | None = None) -> None:
    """Trace every request to `app`, except health checks, without secret values."""
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="healthz",
        server_request_hook=_redact_secret_query,
        tracer_provider=tracer_provider,
    )


def _redact_secret_query(span: Span, scope: dict[str, Any]) -> None:
    """Replace the values of secret query parameters in the request's span."""
    query_string = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not span.is_recording() or not SECRET_QUERY_PARAMETERS & dict(pairs).keys():
        return

    query = urlencode(
        [
            (name, "REDACTED" if name in SECRET_QUERY_PARAMETERS else value)
            for name, value in pairs
        ]
    )
    # The SDK's spans expose their attributes, the API's Span interface does not.
    recorded = getattr(span, "attributes", None) or {}
    for attribute, whole_url in _URL_ATTRIBUTES.items():
        value = recorded.get(attribute)
        if isinstance(value, str):
            redacted = value.split("?", 1)[0] + "?" + query if whole_url else query
            span.set_attribute(attribute, redacted)


Headers = tuple[tuple[str, bytes], ...]


class _LastInjected:
    """The context last injected, with its headers, replaced in one assignment."""

    entry: tuple[Context | None, Headers] = (None, ())


_last_injected = _LastInjected()


def inject_headers() -> Headers:
    """Return the current trace context as message headers.

    A consumer's handler records its events within one span, so the headers
    of the last context are kept and returned again while it is current.
    A context is immutable, so a new span or new baggage makes a new one.
    """
    context = otel_context.get_current()
    last_context, last_headers = _last_injected.entry
    if context is last_context:
        return last_headers

    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    headers = tuple((key, value.encode()) for key, value in carrier.items())
    _last_injected.entry = (context, headers)
    return headers


def extract_context(headers: Iterable[tuple[str, bytes]]) -> Context:
    """Return the trace context carried by message headers."""
    carrier = {key: value.decode(errors="replace") for key, value in headers}
    return propagate.extract(carrier)


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
