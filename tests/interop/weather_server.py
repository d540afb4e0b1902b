"""The seed's Weather Assistant MCP server in Python (FastMCP), as a peer for
weather-client.

    python weather_server.py [--host 127.0.0.1] [--port 8000]

Each tool takes the caller's W3C context from the request's HTTP headers (the
seed's `with_otel_context_from_headers`) and opens its span as a child of it,
with the input and output as Langfuse observation attributes. Spans go to
OTEL_EXPORTER_OTLP_ENDPOINT as service `python-weather-server`.
"""

import argparse
import functools
import json
import random

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_http_headers
from opentelemetry import propagate

import tracing

tracer = tracing.setup("python-weather-server")
mcp = FastMCP("Weather Assistant")


def traced_from_headers(tool):
    """Runs the tool in a span whose parent is the context in the HTTP headers."""

    @functools.wraps(tool)
    def wrapper(**arguments):
        parent = propagate.extract(get_http_headers())
        with tracer.start_as_current_span(tool.__name__, context=parent) as span:
            span.set_attribute("langfuse.observation.input", json.dumps(arguments))
            result = tool(**arguments)
            span.set_attribute("langfuse.observation.output", json.dumps(result))
            return result

    return wrapper


@mcp.tool()
@traced_from_headers
def get_weather(location: str) -> dict:
    """Get current weather for a specified location."""
    return {
        "location": location,
        "temperature": random.randint(15, 30),
        "condition": random.choice(["Sunny", "Cloudy", "Rainy", "Partly Cloudy"]),
        "humidity": random.randint(40, 80),
        "wind_speed": random.randint(5, 25),
    }


@mcp.tool()
@traced_from_headers
def get_forecast(location: str, days: int = 3) -> list[dict]:
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
    mcp.run(transport="http", host=args.host, port=args.port, path="/weather", show_banner=False)
