"""Bad input at the API's edge: each a clear 4xx in the one error shape, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.models import ApiToken, AuditEvent
from tests.helpers.api_errors import assert_error_shape


def test_token_for_right_password_and_refusal_for_wrong(client, demo):
    ok = client.post("/api/v1/auth/token", json={"username": "drafter", "password": "demo"})
    assert ok.status_code == 201 and len(ok.json["token"]) > 30
    wrong = client.post("/api/v1/auth/token", json={"username": "drafter", "password": "nope"})
    assert_error_shape(wrong, 401, "invalid_credentials")
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "demo"})
    assert_error_shape(unknown, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer forged-token-value", "Basic ZHJhZnRlcjpkZW1v", "bearer "],
    ids=["missing", "empty", "forged", "wrong-scheme", "blank"],
)
def test_missing_or_forged_token_is_401(client, demo, header):
    headers = {"Authorization": header} if header else {}
    assert_error_shape(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")


def test_expired_token_is_401(client, login, clock):
    headers = login("drafter")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(hours=13))
    assert_error_shape(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")


def test_tokens_are_stored_only_as_hashes(client, login, session):
    headers = login("drafter")
    token = headers["Authorization"].split()[1]
    stored = session.query(ApiToken).one()
    assert stored.token_hash != token and token not in stored.token_hash


def test_malformed_json_is_400(client, login):
    response = client.post("/api/v1/process-instances", data="{not json", content_type="application/json", headers=login("drafter"))
    assert_error_shape(response, 400, "malformed_json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"process_key": "x", "surprise": 1}, "surprise"),
        ({"process_key": 42}, "process_key"),
        ({"organization_id": 1}, "process_key"),
        ({"process_key": "x", "organization_id": "1"}, "organization_id"),
        ({"process_key": "x", "data": [1, 2]}, "data"),
    ],
    ids=["unknown-field", "wrong-type", "missing", "string-for-int", "data-not-object"],
)
def test_bad_start_bodies_name_the_field_and_write_nothing(client, login, session, body, field):
    events_before = session.query(AuditEvent).count()
    body_json = assert_error_shape(client.post("/api/v1/process-instances", json=body, headers=login("drafter")), 422, "validation_failed")
    assert field in body_json["errors"]
    assert session.query(AuditEvent).count() == events_before


def test_unknown_routes_and_methods_use_the_error_shape(client, login):
    assert_error_shape(client.get("/api/v1/nothing-here", headers=login("drafter")), 404, "not_found")
    assert_error_shape(client.delete("/api/v1/tasks", headers=login("drafter")), 405, "method_not_allowed")


def test_oversized_body_is_413(app, client, login):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/process-instances", json={"process_key": "x", "data": {"blob": "x" * 5000}}, headers=login("drafter"))
    assert_error_shape(response, 413, "too_large")


def test_openapi_document_lists_the_contract(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/process-definitions",
        "/api/v1/process-instances",
        "/api/v1/process-instances/{instance_id}",
        "/api/v1/process-instances/{instance_id}/history",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/unclaim",
        "/api/v1/tasks/{task_id}/delegate",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/audit/verify",
    ):
        assert path in paths, path


def test_the_api_page_is_browsable_without_network_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/tasks/{task_id}/complete" in html and "办理任务" in html
    assert "<script src=" not in html and "https://" not in html


@pytest.mark.parametrize(
    "body",
    [
        {"process_key": "a\u0000b"},
        {"process_key": "x", "data": {"note": ["ok", "bad\u0000"]}},
        {"process_key": "x", "data": {"k\u0000": 1}},
    ],
    ids=["field", "nested", "key"],
)
def test_text_no_database_can_store_is_refused_before_anything_runs(client, login, session, body):
    events = session.query(AuditEvent).count()
    assert_error_shape(client.post("/api/v1/process-instances", json=body, headers=login("drafter")), 422, "validation_failed")
    assert session.query(AuditEvent).count() == events
