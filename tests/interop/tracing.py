"""OpenTelemetry setup shared by the interop scripts.

Spans are exported synchronously (SimpleSpanProcessor) over OTLP/HTTP to
OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) when that variable is set, so a
test can read them as soon as the call that made them has returned.
"""

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


def setup(service_name: str, make_global: bool = True) -> trace.Tracer:
    """A tracer for `service_name`; its provider becomes the global one (which
    libraries such as FastMCP and the MCP SDK use) only if `make_global`."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
    if make_global:
        trace.set_tracer_provider(provider)
    return provider.get_tracer(service_name)
