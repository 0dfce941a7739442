"""Editing a process in the browser, for process owners: the deployed processes, each opened in the
bpmn-js modeler (a diagram is laid out for files that carry none), and the edited diagram deployed
as the next version with the same decision tables and forms, or refused with every problem named
by element, as an upload through the API would be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from api.http.database import db_session
from api.http.errors import ApiError
from api.http.services import form_library, process_extensions
from engine.bpmn.diagram_layout import with_diagram
from engine.definitions.deployment import deploy, latest_versions, main_model_file
from engine.errors import DeploymentRefused, NotFound
from engine.models import ProcessDefinition
from engine.people.permissions import Actor, may_deploy
from web.browser_session import signed_in_actor, signed_in_page
from web.display import display_names, named

blueprint = Blueprint("editor_pages", __name__, template_folder="templates", static_folder="static", static_url_path="/web-static")
BPMN_JS_DIST = Path(__file__).parent / "node_modules" / "bpmn-js" / "dist"


@blueprint.get("/definitions")
@signed_in_page
def definitions(actor: Actor) -> ResponseReturnValue:
    _require_process_owner(actor)
    latest = latest_versions(db_session())
    return render_template(
        "definitions.html",
        definitions=latest,
        deployed_by=display_names(d.deployed_by_id for d in latest),
        named=named,
    )


@blueprint.get("/definitions/<key>/edit")
@signed_in_page
def edit(actor: Actor, key: str) -> ResponseReturnValue:
    _require_process_owner(actor)
    definition = _latest(key)
    return render_template(
        "editor.html",
        definition=definition,
        csrf_token=generate_csrf(),
        assets_installed=BPMN_JS_DIST.is_dir(),
        file_name=main_model_file(definition).filename,
    )


@blueprint.get("/definitions/<key>/diagram")
@signed_in_page
def diagram(actor: Actor, key: str) -> ResponseReturnValue:
    _require_process_owner(actor)
    stored = main_model_file(_latest(key))
    return Response(with_diagram(stored.filename, stored.content), mimetype="application/xml")


@blueprint.post("/definitions/<key>/deploy")
def deploy_diagram(key: str) -> ResponseReturnValue:
    actor = signed_in_actor()
    if actor is None:
        raise ApiError(401)  # the editor's script asked: an answer it can read, not the sign-in page
    _require_process_owner(actor)
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except (ValidationError, CSRFError):
        raise ApiError(400, "页面已过期，请刷新后重试 (the page expired; reload it)", code="csrf_failed") from None
    definition = _latest(key)
    edited = main_model_file(definition)
    files = {stored.filename: stored.content for stored in definition.files}
    files[edited.filename] = request.get_data()
    try:
        deployment = deploy(
            db_session(),
            files,
            clock=current_app.extensions["wf_clock"],
            actor_id=actor.id,
            process_key=key,
            form_library=form_library(),
            extensions=process_extensions(),
        )
    except DeploymentRefused as refused:
        db_session().rollback()
        return _json(422, {"message": str(refused), "problems": [problem.to_dict() for problem in refused.problems]})
    return _json(
        201 if deployment.created else 200,
        {
            "key": deployment.definition.key,
            "version": deployment.definition.version,
            "created": deployment.created,
        },
    )


@blueprint.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename: str) -> ResponseReturnValue:
    """bpmn-js as npm installed it (make installs web/package.json); nothing of it is copied here."""
    return send_from_directory(BPMN_JS_DIST, filename, max_age=86400)


def _require_process_owner(actor: Actor) -> None:
    if not may_deploy(actor):
        raise ApiError(403, "只有流程管理员可以编辑和部署流程 (only process owners edit and deploy processes)")


def _latest(key: str) -> ProcessDefinition:
    definition = (
        db_session()
        .scalars(select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc()).limit(1))
        .first()
    )
    if definition is None:
        raise NotFound(f"流程定义不存在 (no deployed process {key!r})")
    return definition


def _json(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
