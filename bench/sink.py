# Counts OTLP/HTTP export requests and bytes; parses nothing. Answers every
# POST with 200. On SIGTERM or SIGINT it prints the counts per path to
# stderr (e.g. /v1/traces, /v1/logs, /api/public/otel/v1/traces) and exits.
#
# SINK_FAULT makes it a failing collector (bench/faults.sh): `503`, `429`
# (both with Retry-After: 1), `500`: that status; `hang`: reads the request
# and never answers; `slow:MS`: answers 200 after MS milliseconds. With
# SINK_FAULT_SECONDS=N the fault lasts the first N seconds, then it is
# healthy (a collector coming back).
import http.server, os, signal, sys, threading, time
counts = {}  # path -> [requests, bytes]
lock = threading.Lock()
FAULT = os.environ.get('SINK_FAULT', 'ok')
FAULT_UNTIL = time.monotonic() + float(os.environ.get('SINK_FAULT_SECONDS', 'inf'))
class Sink(http.server.BaseHTTPRequestHandler):
    # Keep-alive, as a real collector: an HTTP/1.0 sink makes the exporter
    # open a TCP connection per batch, which the server's CPU then pays for.
    protocol_version = 'HTTP/1.1'
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        self.rfile.read(n)
        with lock:
            entry = counts.setdefault(self.path, [0, 0])
            entry[0] += 1
            entry[1] += n
        fault = FAULT if time.monotonic() < FAULT_UNTIL else 'ok'
        if fault == 'hang':
            time.sleep(3600)
        if fault.startswith('slow:'):
            time.sleep(int(fault[5:]) / 1000)
        if fault in ('503', '429', '500'):
            self.send_response(int(fault))
            if fault != '500':
                self.send_header('Retry-After', '1')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/x-protobuf')
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a): pass
def report(*_):
    with lock:
        for path, (requests, size) in sorted(counts.items()):
            print(f'sink: {path} {requests} requests {size} bytes', file=sys.stderr, flush=True)
        if not counts:
            print('sink: nothing received', file=sys.stderr, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
signal.signal(signal.SIGINT, report)
server = http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Sink)
server.daemon_threads = True  # hanging handlers must not keep it from exiting
server.serve_forever()
