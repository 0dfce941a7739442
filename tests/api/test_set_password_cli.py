"""`wf set-password`: an operator gives a person a new password; whatever sessions and tokens they had end."""

from __future__ import annotations

import click
import pytest
from sqlalchemy import select

from api.cli.accounts import set_password_command
from engine.models import AuditEvent, Person
from tests.helpers.api_errors import assert_error_shape
from tests.helpers.browser import sign_in


@pytest.fixture
def wf_cli(app):  # type: ignore[no-untyped-def]
    root = click.Group("wf")
    root.add_command(set_password_command)
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(root, ["set-password", *args])


def token_sign_in(client, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"username": "secretary", "password": password})


def test_a_new_password_works_and_ends_the_old_sessions_and_tokens(app, client, login, wf_cli, session):
    headers = login("secretary")
    browser = app.test_client()
    sign_in(browser)

    result = wf_cli("secretary", "--password", "a-new-password-2026")

    assert result.exit_code == 0, result.output
    assert "已为 支部书记 王芳（secretary）设置新密码" in result.output
    assert browser.get("/").status_code == 302
    assert_error_shape(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")
    assert_error_shape(token_sign_in(client, "demo"), 401, "invalid_credentials")
    assert token_sign_in(client, "a-new-password-2026").status_code == 201
    event = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "person.password_set")).one()
    assert event.after["username"] == "secretary" and "argon2" not in str(event.after)


def test_a_short_password_or_an_unknown_person_is_refused_and_nothing_changes(client, demo, wf_cli, session):
    before = session.scalars(select(Person.password_hash).where(Person.username == "secretary")).one()

    short = wf_cli("secretary", "--password", "short")
    nobody = wf_cli("nobody", "--password", "a-long-enough-password")

    assert short.exit_code == 1 and "密码至少 10 个字符" in short.output
    assert nobody.exit_code == 1 and "没有用户名为 nobody 的人员" in nobody.output
    session.expire_all()
    assert session.scalars(select(Person.password_hash).where(Person.username == "secretary")).one() == before
    assert token_sign_in(client, "demo").status_code == 201
