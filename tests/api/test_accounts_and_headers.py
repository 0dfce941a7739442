"""Accounts at the edge: sign-in slowed down after repeated failures, sign-out, demo accounts only
in demo mode, and the security headers and error pages every answer carries."""

from __future__ import annotations

from datetime import timedelta

from api.app import create_app
from api.http.database import dispose_database
from tests.helpers.api_errors import assert_error_shape


def sign_in(client, password: str = "demo", username: str = "drafter"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_five_failures_make_that_account_wait_at_that_address(client, demo, clock):
    for _ in range(5):
        assert_error_shape(sign_in(client, "wrong"), 401, "invalid_credentials")
    assert_error_shape(sign_in(client), 429, "too_many_requests")  # even the right password
    assert sign_in(client, username="secretary").status_code == 201  # others are unaffected
    clock.advance(timedelta(minutes=16))
    assert sign_in(client).status_code == 201


def test_a_success_resets_the_count(client, demo):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client).status_code == 201
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client).status_code == 201


def test_signing_out_revokes_the_token(client, login):
    headers = login("drafter")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_error_shape(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")


def test_demo_accounts_are_refused_outside_demo_mode(database_url, demo, clock, audit_anchor):
    config = {"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": False}
    app = create_app({**config, "SECRET_KEY": "k" * 32, "AUDIT_ANCHOR": audit_anchor})
    try:
        assert_error_shape(sign_in(app.test_client()), 401, "invalid_credentials")
    finally:
        dispose_database(app)


def test_every_answer_carries_the_security_headers(client, login):
    for response in (client.get("/api/v1/docs"), client.get("/api/v1/tasks", headers=login("drafter")), client.get("/api/v1/nothing")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert client.get("/api/v1/tasks", headers=login("drafter")).headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_a_plain_500_without_a_traceback(app, client):
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    body = assert_error_shape(response, 500, "internal_error")
    assert "secret detail" not in response.get_data(as_text=True) and "Traceback" not in str(body)
    assert not app.debug


def test_many_failures_from_one_address_across_accounts_are_slowed_down(client, demo, clock):
    usernames = ["member1", "member2", "member3", "member4", "member5"]
    for attempt in range(20):
        assert_error_shape(sign_in(client, "guess", username=usernames[attempt % 5]), 401, "invalid_credentials")
    assert_error_shape(sign_in(client, username="reviewer"), 429, "too_many_requests")  # even a right password
    clock.advance(timedelta(minutes=11))
    assert sign_in(client, username="reviewer").status_code == 201


def test_a_site_served_over_https_asks_browsers_to_stay_on_https(database_url, demo, clock, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain http (demo): no promise to keep
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True, "WF_HTTPS": True})
    try:
        https = app.test_client()
        for response in (https.get("/login"), https.get("/api/v1/nothing"), https.get("/healthz")):
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        dispose_database(app)
