"""A real HTTP server on 127.0.0.1, in a thread, that records what reaches it."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

# How /encoded?how=... hands the X-Key header it received back: the ways an
# upstream can echo a secret that an exact match would miss.
ENCODINGS = {
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "base64-unpadded": lambda v: base64.b64encode(v.encode()).decode().rstrip("="),
    "base64url": lambda v: base64.urlsafe_b64encode(v.encode()).decode(),
    "basic-auth": lambda v: "Basic " + base64.b64encode(f"me:{v}".encode()).decode(),
    "reversed": lambda v: v[::-1],
    "lowercase": str.lower,
    "uppercase": str.upper,
    "hex": lambda v: v.encode().hex(),
    "hex-uppercase": lambda v: v.encode().hex().upper(),
    "percent": lambda v: quote(v, safe=""),
    "json": lambda v: json.dumps({"key": v})[9:-2],
}


class Recorder(BaseHTTPRequestHandler):
    """Answer a few fixed paths; append every request to server.seen."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        seen = {
            "method": self.command,
            "path": url.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        self.server.seen.append(seen)
        if url.path == "/redirect":
            return self._send(int(query.get("status", 302)), b"", location=query["to"])
        if url.path.startswith("/hops/"):
            left = int(url.path.rsplit("/", 1)[1])
            if left:
                return self._send(302, b"", location=f"/hops/{left - 1}")
            return self._send(200, b"arrived")
        if url.path == "/encoded":
            how = ENCODINGS[query["how"]]
            return self._send(200, how(self.headers.get("X-Key", "")).encode())
        if url.path == "/big":
            return self._send(200, b"x" * int(query["bytes"]))
        if url.path == "/slow":
            time.sleep(float(query["seconds"]))
            return self._send(200, b"late")
        if url.path == "/status":
            return self._send(int(query["code"]), b"as asked")
        return self._send(200, json.dumps(seen).encode(), "application/json")

    def _send(self, status, body, content_type="text/plain", location=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", "recorder")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        # The client may have given up (a timeout or a size limit under test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


@contextmanager
def local_server(host="127.0.0.1"):
    """Run a Recorder on a free port of `host` (a loopback address) while the block runs."""
    server = ThreadingHTTPServer((host, 0), Recorder)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def address(server) -> str:
    host, port = server.server_address[:2]
    return f"{host}:{port}"
