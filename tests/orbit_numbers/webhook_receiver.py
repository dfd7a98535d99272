"""A webhook receiver as a customer would write one: an http.server on 127.0.0.1 (random port, in a
thread) that verifies X-Orbit-Signature against the secrets it was given (401 when none matches)
and otherwise answers the next scripted status (200 once the script runs out)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_valid(secret: str, header: str, body: bytes) -> bool:
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in parts if key == "t"]
    candidates = [value for key, value in parts if key == "v1"]
    if len(timestamps) != 1 or not candidates:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


@dataclass
class Received:
    verified: bool
    status: int
    headers: dict
    body: bytes

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)


class SigningReceiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.script: list[int] = []
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                """Quiet: the tests read ``received``, not the access log."""

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                header = self.headers.get("X-Orbit-Signature", "")
                verified = any(signature_valid(secret, header, body) for secret in receiver.secrets)
                status = (receiver.script.pop(0) if receiver.script else 200) if verified else 401
                receiver.received.append(Received(verified, status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/orbit-hooks"

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.verified and 200 <= r.status < 300]

    def __enter__(self) -> "SigningReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
