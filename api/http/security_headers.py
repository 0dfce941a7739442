"""Response headers every answer carries: no sniffing, no framing, no referrer, a strict content
policy for the pages, and no caching of API answers (they carry personal data). A site served over
https (WF_HTTPS) also tells browsers to come back only over https (HSTS)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # a year; subdomains are left to their own sites


def install_security_headers(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("WF_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response
