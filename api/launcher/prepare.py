"""Before anything starts: the schema, processes/ and the demo data, i.e. what `flask wf migrate`,
`wf deploy-processes` and `wf seed-demo` do, through the same engine functions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from api.launcher import LauncherError, say
from api.settings import Settings, audit_anchor
from engine.audit import anchor_sessions
from engine.calendar import seed_from_package
from engine.clock import SYSTEM_CLOCK
from engine.db import make_engine, make_session_factory, normalize_url
from engine.definitions.deployment import deploy_package_folders
from engine.errors import DeploymentRefused
from engine.party.demo_organization import DEMO_PASSWORD, DEMO_PEOPLE, database_is_empty, seed_demo
from engine.schema import upgrade_to_head
from processes import EXTENSIONS, package_folders
from processes.member_development.demo_cases import seed_development_cases


def prepare_database(settings: Settings) -> None:
    url = settings.database_url
    _ensure_sqlite_directory(url)
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        say("数据库已是最新结构 (database schema is up to date)")
        sessions = anchor_sessions(make_session_factory(engine), audit_anchor(settings))
        with sessions() as session:
            report = seed_from_package(session, SYSTEM_CLOCK)
            session.commit()
        say(f"工作日历已就绪 (working-day calendar ready): {min(report.years)}–{max(report.years)}")
        with sessions() as session:
            deployments = deploy_package_folders(session, package_folders(), EXTENSIONS, clock=SYSTEM_CLOCK)
        for deployment in deployments:
            state = "新版本 (new version)" if deployment.created else "未变化 (unchanged)"
            say(f"流程 (process) {deployment.definition.key} v{deployment.definition.version}: {state}")
        if settings.demo:
            with sessions() as session:
                if database_is_empty(session):
                    branch_id = seed_demo(session, SYSTEM_CLOCK).branch1.id
                    session.commit()
                    say("已创建演示组织和账号 (demo organisation and accounts created)")
                    cases = seed_development_cases(sessions, SYSTEM_CLOCK, branch_id, EXTENSIONS)
                    say(f"已创建 {len(cases)} 个处于不同阶段的发展党员演示案例 (demo development cases)")
                else:
                    say("数据库中已有数据，未重新创建演示数据 (database not empty; demo seed skipped)")
    except OperationalError as error:
        raise LauncherError(f"无法连接数据库 {redacted_database_url(url)} (cannot reach the database): {error.orig}") from error
    except DeploymentRefused as error:
        details = "\n".join(f"  - {p.file or ''}:{p.line or ''} [{p.code}] {p.message}" for p in error.problems)
        raise LauncherError(f"{error.message}\n{details}") from error
    finally:
        engine.dispose()


def demo_accounts() -> str:
    return f"演示账号 (demo accounts): {', '.join(DEMO_PEOPLE)}；密码均为 (password) {DEMO_PASSWORD}"


def redacted_database_url(url: str) -> str:
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


def _ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
