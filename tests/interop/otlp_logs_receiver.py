"""An OTLP/HTTP logs receiver built on the OpenTelemetry project's own
protobuf definitions (PyPI `opentelemetry-proto`), independent of our Rust
decoder: POST /v1/logs (protobuf or JSON) is decoded with
`ExportLogsServiceRequest`, and each record is printed to stdout as one JSON
line. Other paths answer 404; a request that does not decode answers 400.

Usage: otlp_logs_receiver.py PORT
"""

import http.server
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)


def attribute_text(value):
    kind = value.WhichOneof("value")
    return None if kind is None else getattr(value, kind)


def records(request):
    for resource_logs in request.resource_logs:
        resource = {kv.key: attribute_text(kv.value) for kv in resource_logs.resource.attributes}
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield {
                    "service": resource.get("service.name"),
                    "scope": scope_logs.scope.name,
                    "trace_id": record.trace_id.hex(),
                    "span_id": record.span_id.hex(),
                    "severity_text": record.severity_text,
                    "severity_number": record.severity_number,
                    "body": str(attribute_text(record.body)),
                    "attributes": {kv.key: str(attribute_text(kv.value)) for kv in record.attributes},
                }


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v1/logs":
            self.answer(404)
            return
        request = ExportLogsServiceRequest()
        try:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                json_format.Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as error:  # a broken request is the exporter's bug: say so
            print(json.dumps({"error": str(error)}), flush=True)
            self.answer(400)
            return
        for record in records(request):
            print(json.dumps(record), flush=True)
        self.answer(200, ExportLogsServiceResponse().SerializeToString())

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print("listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
