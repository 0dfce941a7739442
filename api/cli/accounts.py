"""Operator command for accounts: `flask --app api.app wf set-password USERNAME`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from api.http.database import session_factory
from engine.errors import InvalidCommand
from engine.models import Person
from engine.people.accounts import set_password


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.password_option("--password", prompt="新密码 (new password)", help="不给则提示输入两次 (prompted twice when omitted)")
def set_password_command(username: str, password: str) -> None:
    """Give a person a new password; their sessions and tokens end."""
    with session_factory()() as session:
        person = session.scalars(select(Person).where(Person.username == username)).first()
        if person is None:
            raise click.ClickException(f"没有用户名为 {username} 的人员 (no person with that username)")
        try:
            set_password(session, person, password, clock=current_app.extensions["wf_clock"])
        except InvalidCommand as refused:
            raise click.ClickException(refused.message) from None
        session.commit()
    click.echo(f"已为 {person.display_name}（{username}）设置新密码，其登录会话和令牌均已失效 (password set; sessions and tokens ended)")
