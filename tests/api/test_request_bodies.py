"""JSON bodies no view can handle are refused by the one strict parser, on every endpoint, before
sign-in included: nesting deep enough to exhaust the interpreter's stack, integers of thousands of
digits, NaN and Infinity. Each is a 400 in the one error shape and changes nothing."""

from __future__ import annotations

import pytest
from flask_smorest import Blueprint

from api.http.request_body import MAX_DEPTH, ApiBlueprint
from engine.models import AuditEvent
from tests.helpers.api_errors import assert_error_shape


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_VALUES = {
    "nested-900": (nested(900), "body_too_deep"),
    "nested-5000": (nested(5000), "body_too_deep"),
    "nested-objects": ('{"a": ' * 200 + "1" + "}" * 200, "body_too_deep"),
    "integer-5000-digits": ("9" * 5000, "number_refused"),
    "integer-21-digits": ("-" + "1" * 21, "number_refused"),
    "float-overflow": ("1e999", "number_refused"),
    "long-float": ("0." + "1" * 5000, "number_refused"),
    "nan": ("NaN", "number_refused"),
    "infinity": ("-Infinity", "number_refused"),
}

# (method, path, a body with the bad value in a field, whether the caller signs in first)
ENDPOINTS = [
    ("post", "/api/v1/auth/token", '{{"username": {value}, "password": "demo"}}', False),
    ("post", "/api/v1/process-instances", '{{"process_key": "disclosure_review", "data": {{"n": {value}}}}}', True),
    ("post", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete", '{{"data": {{"n": {value}}}}}', True),
    ("post", "/api/v1/appraisals/1/ballots", '{{"grades": {value}}}', True),
    ("post", "/api/v1/disclosures/1/opinions", '{{"content": {value}}}', False),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[path for _, path, _, _ in ENDPOINTS])
def test_bodies_no_view_can_handle_are_refused_everywhere(client, login, session, endpoint):
    method, path, template, signed_in = endpoint
    headers = login("drafter") if signed_in else {}
    events = session.query(AuditEvent).count()
    for name, (value, code) in BAD_VALUES.items():
        response = getattr(client, method)(path, data=template.format(value=value), content_type="application/json", headers=headers)
        assert response.status_code == 400, (name, response.status_code, response.get_data(as_text=True)[:200])
        body = assert_error_shape(response, 400, code)
        assert "(" in body["message"] and body["errors"]["_body"], name
    assert session.query(AuditEvent).count() == events


def test_the_cap_leaves_room_for_real_bodies(client, demo):
    deep_but_allowed = '{"username": ' + nested(MAX_DEPTH - 1) + ', "password": "demo"}'
    response = client.post("/api/v1/auth/token", data=deep_but_allowed, content_type="application/json")
    assert_error_shape(response, 422, "validation_failed")
    ok = client.post("/api/v1/auth/token", data='{"username": "drafter", "password": "demo"}', content_type="application/json")
    assert ok.status_code == 201


def test_pages_posting_json_get_the_same_refusal(client, demo):
    response = client.post("/login", data=nested(3000), content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["code"] == "body_too_deep"


def test_every_rest_blueprint_reads_bodies_through_the_strict_parser(app):
    blueprints = [bp for bp in app.blueprints.values() if isinstance(bp, Blueprint)]
    assert len(blueprints) >= 10
    assert [bp.name for bp in blueprints if not isinstance(bp, ApiBlueprint)] == []
