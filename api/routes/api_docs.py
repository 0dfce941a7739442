"""GET /api/v1/docs: a browsable page of the API, rendered on the server from the OpenAPI document.

No script or stylesheet from outside: the page works on a machine with no internet access.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

blueprint = Blueprint("api_docs", __name__, template_folder="../templates")
METHODS = ("get", "post", "put", "patch", "delete")


@blueprint.get("/api/v1/docs")
def api_docs() -> ResponseReturnValue:
    spec = current_app.extensions["wf_api"].spec.to_dict()
    return render_template("api_docs.html", spec=spec, groups=_grouped(spec))


def _grouped(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    descriptions = {tag["name"]: tag.get("description", tag["name"]) for tag in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["api"])[0]
            groups.setdefault(descriptions.get(tag, tag), []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary") or "",
                    "parameters": operation.get("parameters", []),
                    "body": _schema_name(operation.get("requestBody")),
                    "responses": {code: r.get("description", "") for code, r in operation.get("responses", {}).items()},
                    "secured": bool(operation.get("security")),
                }
            )
    return list(groups.items())


def _schema_name(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    for media in body.get("content", {}).values():
        reference = media.get("schema", {}).get("$ref", "")
        return reference.rsplit("/", 1)[-1] or "object"
    return None
