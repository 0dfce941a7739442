"""Server-rendered pages: sign-in with a browser session (CSRF-protected forms) and the inbox.

Registered by the application factory when `WEB_PAGES` is on (the default).
"""
from __future__ import annotations

from flask import Flask

from web.pages import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
