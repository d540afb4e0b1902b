# Counts OTLP/HTTP export requests and bytes; parses nothing.
import http.server, sys, threading
class Sink(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        self.rfile.read(n)
        Sink.count += 1
        self.send_response(200)
        self.send_header('Content-Type', 'application/x-protobuf')
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Sink).serve_forever()
