#!/usr/bin/env python3
"""The origin behind Pushpin in scripts/bench: answers GET /sub/<channel> with GRIP hold headers
(`Grip-Hold: stream`, `Grip-Channel: <channel>`, an event-stream content type), so that Pushpin
holds the client's stream open on that channel and fans out what is published to it. Anything
else is 404. Usage: pushpin_origin.py PORT
"""
import http.server
import re
import sys


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        match = re.fullmatch(r"/sub/(\w+)", self.path)
        if not match:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Grip-Hold", "stream")
        self.send_header("Grip-Channel", match.group(1))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # Pushpin asks once per stream that connects: thousands at once in a run, beyond the
    # standard library's listen backlog of 5.
    request_queue_size = 4096
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Origin).serve_forever()
