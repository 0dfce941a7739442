"""Operator commands: `flask --app api.app wf <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from api.cli.accounts import set_password_command
from api.cli.calendar import calendar as calendar_commands
from api.http.database import session_factory
from api.http.services import package_folders, process_extensions
from engine.db import make_engine
from engine.definitions.deployment import deploy_package_folders
from engine.party.demo_organization import DEMO_PASSWORD, DEMO_PEOPLE, database_is_empty, seed_demo
from engine.schema import upgrade_to_head
from processes.member_development.demo_cases import seed_development_cases

wf = click.Group("wf", help="党组织工作流引擎的运维命令 (operator commands of the workflow engine)")


@wf.command("migrate")
def migrate() -> None:
    """Bring the database to the current schema."""
    upgrade_to_head(make_engine(current_app.config["DATABASE_URL"]))
    click.echo("数据库已是最新结构 (database schema is up to date)")


@wf.command("deploy-processes")
def deploy_processes() -> None:
    """Deploy every process package in processes/; an unchanged package keeps its version."""
    with session_factory()() as session:
        deployments = deploy_package_folders(session, package_folders(), process_extensions(), clock=current_app.extensions["wf_clock"])
    for deployment in deployments:
        state = "新版本 (new version)" if deployment.created else "未变化 (unchanged)"
        click.echo(f"{deployment.definition.key} v{deployment.definition.version}: {state}")


@wf.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo organisation and accounts, only in demo mode and only into an empty database."""
    if not current_app.config["WF_DEMO"]:
        raise click.ClickException("演示数据只能在 WF_DEMO=1 时创建 (demo data needs WF_DEMO=1)")
    with session_factory()() as session:
        if not database_is_empty(session):
            click.echo("数据库中已有数据，跳过演示数据 (database not empty; demo seed skipped)")
            return
        branch_id = seed_demo(session, current_app.extensions["wf_clock"]).branch1.id
        session.commit()
    click.echo(f"演示账号 (demo accounts), password {DEMO_PASSWORD!r}: {', '.join(DEMO_PEOPLE)}")
    cases = seed_development_cases(session_factory(), current_app.extensions["wf_clock"], branch_id, process_extensions())
    if cases:
        click.echo(f"发展党员演示案例 (demo development cases): {len(cases)}")
    else:
        click.echo("未部署 member_development，跳过发展党员演示案例；先运行 wf deploy-processes (deploy processes first)")


def init_cli(app: Flask) -> None:
    if "calendar" not in wf.commands:
        wf.add_command(calendar_commands)
        wf.add_command(set_password_command)
    app.cli.add_command(wf)
