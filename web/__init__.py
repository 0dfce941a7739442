"""Server-rendered pages: sign-in with a browser session (CSRF-protected forms), the inbox, starting
a process, the page on which a task is read and completed, an instance's trace, the audit chain's check,
what was published (党务公开) for members and the public, the 民主测评 ballot for members, the
发展党员 pipeline for those who follow cases, and the BPMN editor for process owners.

Registered by the application factory (api.app) when `WEB_PAGES` is on (the default).
"""

from __future__ import annotations

from flask import Flask

from web.ballot_pages import blueprint as ballot_pages
from web.disclosure_pages import blueprint as disclosure_pages
from web.display import register_filters
from web.editor_pages import blueprint as editor_pages
from web.instance_pages import blueprint as instance_pages
from web.pages import blueprint
from web.pipeline_pages import blueprint as pipeline_pages
from web.start_pages import blueprint as start_pages
from web.task_pages import blueprint as task_pages


def init_app(app: Flask) -> None:
    register_filters(app)
    app.register_blueprint(blueprint)
    app.register_blueprint(task_pages)
    app.register_blueprint(instance_pages)
    app.register_blueprint(disclosure_pages)
    app.register_blueprint(editor_pages)
    app.register_blueprint(ballot_pages)
    app.register_blueprint(pipeline_pages)
    app.register_blueprint(start_pages)
