"""A browser session ends on the server: signing out makes every cookie issued before it worthless
(a copy kept by an attacker included), and a session lasts 12 hours at most and 2 hours idle."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.api_errors import assert_error_shape
from tests.helpers.browser import csrf_token, sign_in


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(app, client, demo):
    sign_in(client)
    saved = client.get_cookie("session")
    assert saved is not None
    sign_out(client)

    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    assert replay.get("/").status_code == 302
    assert replay.get(f"/organizations/{demo.branch1.id}/pipeline").status_code == 302


def test_signing_out_ends_the_persons_other_sessions_and_tokens_but_not_others(app, client, login, demo):
    headers = login("secretary")
    other_browser, colleague = app.test_client(), app.test_client()
    sign_in(other_browser)
    sign_in(colleague, "drafter")
    sign_in(client)
    sign_out(client)

    assert other_browser.get("/").status_code == 302
    assert_error_shape(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")
    assert colleague.get("/").status_code == 200
    assert client.get("/api/v1/tasks", headers=login("drafter")).status_code == 200


def test_signing_in_again_after_sign_out_works(client, demo):
    sign_in(client)
    sign_out(client)
    sign_in(client)
    assert client.get("/").status_code == 200


def test_two_idle_hours_end_a_session(client, demo, clock):
    sign_in(client)
    clock.advance(timedelta(hours=1, minutes=59))
    assert client.get("/").status_code == 200  # a request restarts the idle time
    clock.advance(timedelta(hours=1, minutes=59))
    assert client.get("/").status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/").status_code == 302


def test_a_session_in_steady_use_ends_twelve_hours_after_sign_in(app, client, demo, clock):
    sign_in(client)
    for _ in range(7):
        clock.advance(timedelta(hours=1, minutes=30))
        assert client.get("/").status_code == 200  # 10.5 hours in
    clock.advance(timedelta(hours=1, minutes=31))
    assert client.get("/").status_code == 302
    assert app.permanent_session_lifetime == timedelta(hours=12)  # the cookie's signature expires then too
