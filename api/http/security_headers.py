"""Response headers every answer carries: no sniffing, no framing, no referrer, a strict content
policy for the pages, and no caching of API answers (they carry personal data)."""

from __future__ import annotations

from flask import Flask, Response, request

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install_security_headers(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response
