"""The application's side of the redirect: a small HTTP server on loopback that records the
URLs the browser was sent to (a real navigation, nothing intercepted in the browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CALLBACK_PATH = "/cb"


@dataclass
class AppCallback:
    """The application's redirect URI and every URL of it the browser opened, in order."""

    redirect_uri: str
    urls: list[str] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        """The query of the one redirect the application received."""
        assert len(self.urls) == 1, self.urls
        return {k: v[0] for k, v in parse_qs(urlparse(self.urls[0]).query).items()}


@contextmanager
def running_app() -> Iterator[AppCallback]:
    """Serve the application's redirect URI on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    callback = AppCallback(f"http://127.0.0.1:{port}{CALLBACK_PATH}")
    server.callback = callback  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield callback
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        callback: AppCallback = self.server.callback  # type: ignore[attr-defined]
        if self.path.startswith(CALLBACK_PATH):
            callback.urls.append(callback.redirect_uri.removesuffix(CALLBACK_PATH) + self.path)
        body = b"<!DOCTYPE html><title>App</title><h1>App</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the codes in these URLs are not for the test log."""
