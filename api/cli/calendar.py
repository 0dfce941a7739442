"""Operator commands for the working-day calendar: `flask --app api.app wf calendar <command>`."""

from __future__ import annotations

import calendar as gregorian
import re
import time
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.http.database import session_factory
from engine.calendar import DayStatus, WorkCalendar, publish_year, reset_day, seed_from_package, set_day
from engine.models import CalendarDay, DayKind, DaySource, Person

KIND_ZH = {
    DayKind.WORKDAY: "工作日",
    DayKind.WEEKEND: "周末",
    DayKind.HOLIDAY: "放假",
    DayKind.ADJUSTED_WORKDAY: "调休上班",
}
WEEKDAY_ZH = "一二三四五六日"
_PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?")

calendar = AppGroup("calendar", help="工作日历：法定节假日与调休 (working-day calendar: holidays and 调休 workdays)")


@calendar.command("seed")
@click.option("--year", "years", type=int, multiple=True, help="只写入这些年份 (only these years); default: all")
def seed(years: tuple[int, ...]) -> None:
    """Write the official schedule from the chinesecalendar package; administrator overrides are kept."""
    started = time.perf_counter()
    with session_factory()() as session:
        try:
            report = seed_from_package(session, current_app.extensions["wf_clock"], list(years) or None)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    span = f"{report.years[0]}–{report.years[-1]}" if report.years else "-"
    click.echo(
        f"工作日历已写入 {span} 年：新增 {report.inserted} 天，更新 {report.updated} 天，"
        f"保留管理员调整 {report.kept_overrides} 天，用时 {time.perf_counter() - started:.2f} 秒 "
        f"(calendar seeded for {span}: {report.inserted} inserted, {report.updated} updated, "
        f"{report.kept_overrides} overrides kept)"
    )


@calendar.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--holiday", "is_workday", required=True, help="上班或放假 (worked or a day off)")
@click.option("--reason", required=True, help="调整原因，记入审计日志 (why; recorded in the audit log)")
@click.option("--name", default=None, help="节日名称，如 国庆节 (the holiday's name)")
@click.option("--by", "username", default=None, help="操作人用户名 (the administrator's username)")
def set_command(day: datetime, is_workday: bool, reason: str, name: str | None, username: str | None) -> None:
    """Override one date; seeding never changes it back."""
    with session_factory()() as session:
        try:
            row = set_day(
                session,
                current_app.extensions["wf_clock"],
                day.date(),
                is_workday=is_workday,
                reason=reason,
                name=name,
                actor_id=_actor_id(session, username),
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"已调整 (set): {_line(WorkCalendar(session).day(row.date), row.reason)}")


@calendar.command("reset")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--by", "username", default=None, help="操作人用户名 (the administrator's username)")
def reset_command(day: datetime, username: str | None) -> None:
    """Remove an administrator's override of one date."""
    with session_factory()() as session:
        reset_day(session, current_app.extensions["wf_clock"], day.date(), actor_id=_actor_id(session, username))
        session.commit()
        status = WorkCalendar(session, allow_provisional=True).day(day.date())
        click.echo(f"已恢复 (reset): {_line(status, None)}")


@calendar.command("publish-year")
@click.argument("year", type=int)
@click.option("--reason", required=True, help="依据，如 国务院办公厅通知文号 (the notice this follows)")
@click.option("--by", "username", default=None, help="操作人用户名 (the administrator's username)")
def publish_year_command(year: int, reason: str, username: str | None) -> None:
    """Declare a year complete once its holidays and 调休 days have been set by hand."""
    with session_factory()() as session:
        try:
            added = publish_year(session, current_app.extensions["wf_clock"], year, reason=reason, actor_id=_actor_id(session, username))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    click.echo(f"{year} 年日历已发布，其余 {added} 天按周一至周五 ({year} published; {added} days follow Mon–Fri)")


@calendar.command("show")
@click.argument("first")
@click.argument("last", required=False)
def show(first: str, last: str | None) -> None:
    """List the days of YEAR, YEAR-MONTH, a date, or a range FIRST LAST of those."""
    start, end = _span(first)[0], _span(last or first)[1]
    if end < start:
        raise click.BadParameter("结束早于开始 (the range ends before it starts)", param_hint="LAST")
    with session_factory()() as session:
        work_calendar = WorkCalendar(session, allow_provisional=True)
        reasons = _override_reasons(session, start, end)
        for ordinal in range(start.toordinal(), end.toordinal() + 1):
            day = date.fromordinal(ordinal)
            click.echo(_line(work_calendar.day(day), reasons.get(day)))


def _line(status: DayStatus, reason: str | None) -> str:
    label = KIND_ZH[status.kind] + ("（未发布，暂按周一至周五）" if status.provisional else "")
    name = f" {status.name}" if status.name else ""
    note = f": {reason}" if reason else ""
    return f"{status.date.isoformat()} 周{WEEKDAY_ZH[status.date.weekday()]} {label}{name} [{status.source.value}{note}]"


def _span(text: str) -> tuple[date, date]:
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        raise click.BadParameter(f"应写作 2026、2026-02 或 2026-02-14 (expected YEAR, YEAR-MONTH or a date): {text!r}")
    year = int(match["year"])
    month, day = (int(part) if part else None for part in match.group("month", "day"))
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, gregorian.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        raise click.BadParameter(f"日期不存在 (no such date): {text!r}") from None


def _override_reasons(session: Session, start: date, end: date) -> dict[date, str | None]:
    rows = session.execute(
        select(CalendarDay.date, CalendarDay.reason).where(
            CalendarDay.date >= start, CalendarDay.date <= end, CalendarDay.source == DaySource.ADMIN
        )
    )
    return {day: reason for day, reason in rows}


def _actor_id(session: Session, username: str | None) -> int | None:
    if username is None:
        return None
    person_id = session.scalar(select(Person.id).where(Person.username == username))
    if person_id is None:
        raise click.ClickException(f"用户不存在 (no such user): {username}")
    return person_id
