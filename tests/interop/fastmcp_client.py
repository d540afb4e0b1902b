"""Calls a tool once with a W3C trace context, through FastMCP's client.

    python fastmcp_client.py URL --via headers|meta|native [--location Paris]
    python fastmcp_client.py URL --via headers|meta --tool add --arguments '{"a": 2, "b": 3}'

The tool is get_weather {"location": LOCATION} unless --tool / --arguments
(a JSON object) say otherwise.

--via headers: `traceparent` only in the HTTP headers of the transport (the
seed's client); --via meta: only in the call's `_meta` (SEP-414);
--via native: FastMCP's and the MCP SDK's own instrumentation on (they open
CLIENT spans and put *their* context in `_meta`), headers sent as well.
Prints {"trace_id", "span_id"} of this script's span, the call's structured
"result" and its "text" (the text contents, joined).

FastMCP and the MCP SDK instrument through the *global* tracer provider and
inject the *current* context into `_meta`. For headers/meta this script
therefore keeps its provider private and never makes its span current, so it
alone decides where the context travels.
"""

import argparse
import asyncio
import json

from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from opentelemetry import propagate, trace

import tracing


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--via", choices=["headers", "meta", "native"], required=True)
    parser.add_argument("--location", default="Paris")
    parser.add_argument("--tool", default="get_weather")
    parser.add_argument("--arguments", type=json.loads, default=None)
    args = parser.parse_args()
    arguments = args.arguments if args.arguments is not None else {"location": args.location}

    native = args.via == "native"
    tracer = tracing.setup("python-fastmcp-client", make_global=native)
    span = tracer.start_span("python_weather_request")
    context = trace.set_span_in_context(span)
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    headers = carrier if args.via in ("headers", "native") else None
    meta = carrier if args.via == "meta" else None
    # Only in native mode is the span current, i.e. visible to the libraries.
    scope = trace.use_span(span, end_on_exit=True) if native else span
    with scope:
        async with Client(StreamableHttpTransport(args.url, headers=headers)) as client:
            result = await client.call_tool(args.tool, arguments, meta=meta)
    ids = span.get_span_context()
    print(
        json.dumps(
            {
                "trace_id": format(ids.trace_id, "032x"),
                "span_id": format(ids.span_id, "016x"),
                "result": result.structured_content,
                "text": "".join(
                    block.text for block in result.content if getattr(block, "type", "") == "text"
                ),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
