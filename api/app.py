"""The composition root: `create_app` puts together the engine, the process packages, the shared
Flask plumbing (api.http), the REST API under /api/v1 (api.routes), the pages (web) and the
operator commands (api.cli). Nothing below imports this module.

`flask --app api.app wf <command>`; gunicorn serves `api.app:create_app()`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redis
from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

import web
from api.cli import init_cli
from api.http.bearer_auth import BEARER_SCHEME
from api.http.database import init_database
from api.http.errors import register_error_handlers
from api.http.id_converter import IdConverter, id_schema
from api.http.request_body import install_request_body_parser
from api.http.request_guards import install_request_guards
from api.http.security_headers import install_security_headers
from api.routes import (
    api_docs,
    appraisals,
    audit,
    auth,
    calendar,
    definitions,
    disclosures,
    health,
    instances,
    notifications,
    organizations,
    people,
    tasks,
)
from api.settings import resolve_config
from engine.clock import SYSTEM_CLOCK
from engine.definitions.spec_cache import SpecCache
from engine.scripting.evaluator_pool import configure_shared_pool
from engine.sealing import Sealer
from processes import EXTENSIONS, package_folders


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("api")  # the package's name: its logger and root folder, as before app.py existed
    app.url_map.converters["id"] = IdConverter
    app.config.update(resolve_config(config))
    install_request_body_parser(app)  # replaces app.json: before setting its options
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["wf_clock"] = app.config.get("CLOCK") or SYSTEM_CLOCK
    app.extensions["wf_spec_cache"] = SpecCache()
    app.extensions["wf_process_extensions"] = EXTENSIONS
    app.extensions["wf_package_folders"] = package_folders()
    if app.config.get("WF_PROXY_HOPS"):  # only then is X-Forwarded-For the proxies' word, not the client's
        hops = app.config["WF_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    configure_shared_pool(app.config["EVALUATOR_LIMITS"])
    app.extensions["wf_sealer"] = Sealer(app.config["SECRET_KEY"])
    init_database(app)
    install_request_guards(app)
    install_security_headers(app)
    if app.config["REDIS_URL"]:
        app.extensions["wf_redis"] = redis.Redis.from_url(app.config["REDIS_URL"])
    _init_api(app)
    register_error_handlers(app)
    init_cli(app)
    if app.config["WEB_PAGES"]:
        web.init_app(app)
    logging.getLogger("engine").setLevel(logging.INFO)
    return app


def _init_api(app: Flask) -> None:
    api = Api(app, spec_kwargs={"info": {"description": "党组织工作流引擎 REST API (Party workflow engine)"}})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.register_converter(IdConverter, id_schema)
    for module in (
        auth,
        definitions,
        instances,
        tasks,
        notifications,
        people,
        organizations,
        disclosures,
        appraisals,
        calendar,
        audit,
    ):
        api.register_blueprint(module.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(api_docs.blueprint)
    app.extensions["wf_api"] = api
