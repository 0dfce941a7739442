"""Operator commands: `flask --app api.app wf <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from api.cli.accounts import set_password_command
from api.cli.calendar import calendar as calendar_commands
from api.http.database import session_factory
from api.http.services import package_folders, process_extensions
from engine.audit import verify_chain
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


@wf.command("verify-audit")
def verify_audit() -> None:
    """Recompute the audit chain and compare it with the checkpoints outside the database; exit 1 if broken."""
    with session_factory()() as session:
        result = verify_chain(session)
    if result.unanchored_events:
        click.echo(f"前 {result.unanchored_events} 条写于启用审计密钥之前，未锚定 (written before the audit key: not anchored)")
    if not result.ok:
        raise click.ClickException(
            f"审计链校验失败 (audit chain broken): {result.problem}，第 {result.first_bad_seq} 条 (event {result.first_bad_seq})"
        )
    click.echo(f"审计链完整：{result.events} 条 (audit chain intact: {result.events} events)")


def init_cli(app: Flask) -> None:
    if "calendar" not in wf.commands:
        wf.add_command(calendar_commands)
        wf.add_command(set_password_command)
    app.cli.add_command(wf)
