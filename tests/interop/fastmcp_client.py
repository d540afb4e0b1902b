"""Calls get_weather once with a W3C trace context, through FastMCP's client.

    python fastmcp_client.py URL --via headers|meta [--location Paris]

--via headers: `traceparent` goes in the HTTP headers of the transport (the
seed's client); --via meta: only in the request's `_meta` (SEP-414).
Prints {"trace_id", "span_id", "result"}: the span the server must take as
its parent.
"""

import argparse
import asyncio
import json
import os

# FastMCP's own telemetry would open a CLIENT span and put *its* context in
# `_meta` of every call; switch it off so this script alone decides where the
# context travels.
os.environ["FASTMCP_TELEMETRY_MODE"] = "off"

from fastmcp import Client  # noqa: E402
from fastmcp.client.transports import StreamableHttpTransport  # noqa: E402
from opentelemetry import propagate  # noqa: E402

import tracing  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--via", choices=["headers", "meta"], required=True)
    parser.add_argument("--location", default="Paris")
    args = parser.parse_args()

    tracer = tracing.setup("python-fastmcp-client")
    with tracer.start_as_current_span("python_weather_request") as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        headers = carrier if args.via == "headers" else None
        meta = carrier if args.via == "meta" else None
        async with Client(StreamableHttpTransport(args.url, headers=headers)) as client:
            result = await client.call_tool("get_weather", {"location": args.location}, meta=meta)
        context = span.get_span_context()
        print(
            json.dumps(
                {
                    "trace_id": format(context.trace_id, "032x"),
                    "span_id": format(context.span_id, "016x"),
                    "result": result.structured_content,
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
