"""The Python seed's Weather Assistant MCP server, as a contender in bench/load.sh.

    python seed_server.py [--host 127.0.0.1] [--port 8000]

The seed's stack, as its blog post describes it: each tool is

    @mcp.tool()                        FastMCP registers it
    @with_otel_context_from_headers    the caller's W3C context from the HTTP headers, attached
    @observe                           a Langfuse span in that context (input and output captured)

and tracing is set up the seed's way: an OpenTelemetry TracerProvider made
global, then a Langfuse client, whose span processor (a BatchSpanProcessor
with an OTLP/HTTP exporter) joins that provider and sends every span on it
to LANGFUSE_HOST + /api/public/otel/v1/traces. FastMCP's own telemetry
(its SERVER span per request, default `native`) goes the same way.
LoggingInstrumentor puts trace ids into log records, as in the seed.

For the benchmark it answers stateless JSON (`stateless_http`,
`json_response`), so `mcp-trace-loadgen --transport stateless` drives it
like `weather-server --stateless`, and uvicorn's access log is off (our
server writes none either). LANGFUSE_HOST defaults to the counting sink at
http://127.0.0.1:4318, the keys to dummies. SEED_TRACING=0 serves the same
tools with no tracing at all (bench/load.sh's `python-untraced`).
"""

import argparse
import asyncio
import functools
import os
import random
import signal
import sys
from contextlib import contextmanager

os.environ.setdefault("LANGFUSE_HOST", "http://127.0.0.1:4318")
os.environ.setdefault("LANGFUSE_PUBLIC_KEY", "pk-lf-bench")
os.environ.setdefault("LANGFUSE_SECRET_KEY", "sk-lf-bench")

from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.dependencies import get_http_headers  # noqa: E402
from langfuse import Langfuse, observe  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.context import attach, detach  # noqa: E402
from opentelemetry.instrumentation.logging import LoggingInstrumentor  # noqa: E402
from opentelemetry.propagate import extract  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402


def setup_tracing() -> Langfuse:
    """A global TracerProvider for the service, then Langfuse on top of it.
    With SEED_TRACING=0, neither (Langfuse disabled, FastMCP's telemetry a
    no-op): the same server untraced, to tell the tracing's cost apart."""
    if os.environ.get("SEED_TRACING") == "0":
        return Langfuse(tracing_enabled=False)
    resource = Resource.create(
        {
            "service.name": os.getenv("OTEL_SERVICE_NAME", "weather-assistant"),
            "service.version": "1.0.0",
        }
    )
    trace.set_tracer_provider(TracerProvider(resource=resource))
    return Langfuse(
        public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
        secret_key=os.environ["LANGFUSE_SECRET_KEY"],
        host=os.environ["LANGFUSE_HOST"],
    )


@contextmanager
def otel_context(carrier: dict[str, str] | None):
    """The context extracted from `carrier` as the current one, while inside."""
    if not carrier:
        yield
        return
    token = attach(extract(carrier))
    try:
        yield
    finally:
        detach(token)


def with_otel_context_from_headers(func):
    """Runs `func` in the context of the current HTTP request's headers, so
    the @observe below opens its span as the caller's child."""
    if asyncio.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args, **kwargs):
            with otel_context(get_http_headers()):
                return await func(*args, **kwargs)

        return async_wrapper

    @functools.wraps(func)
    def sync_wrapper(*args, **kwargs):
        with otel_context(get_http_headers()):
            return func(*args, **kwargs)

    return sync_wrapper


langfuse = setup_tracing()
LoggingInstrumentor().instrument()
mcp = FastMCP("Weather Assistant")


@mcp.tool()
@with_otel_context_from_headers
@observe
async def get_weather(location: str) -> dict:
    """Get current weather for a specified location."""
    return {
        "location": location,
        "temperature": random.randint(15, 30),
        "condition": random.choice(["Sunny", "Cloudy", "Rainy", "Partly Cloudy"]),
        "humidity": random.randint(40, 80),
        "wind_speed": random.randint(5, 25),
    }


@mcp.tool()
@with_otel_context_from_headers
@observe
async def get_forecast(location: str, days: int = 3) -> list[dict]:
    """Get weather forecast for the specified location and number of days."""
    return [
        {
            "day": day,
            "high": random.randint(20, 35),
            "low": random.randint(10, 20),
            "condition": random.choice(["Sunny", "Cloudy", "Rainy", "Stormy"]),
            "precipitation_chance": random.randint(0, 100),
        }
        for day in range(1, min(days, 7) + 1)
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(f"Starting Weather Assistant MCP Server on http://{args.host}:{args.port}", flush=True)
    print(f"Streamable HTTP endpoint available at http://{args.host}:{args.port}/weather", flush=True)
    # uvicorn restores the handler it found and re-raises SIGTERM once it has
    # stopped serving: with this one the `finally` below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        mcp.run(
            transport="http",
            host=args.host,
            port=args.port,
            path="/weather",
            show_banner=False,
            stateless_http=True,
            json_response=True,
            log_level="warning",
            uvicorn_config={"access_log": False},
        )
    finally:
        # uvicorn returns on SIGTERM/SIGINT; send what is still queued.
        langfuse.shutdown()
