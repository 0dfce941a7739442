"""Filling `calendar_days` from the `chinesecalendar` package, and an administrator's overrides.

Seeding is idempotent and never touches a row an administrator set (source `admin`). Every
override, reset and hand-published year is audited with the values before and after.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import Clock
from engine.models import CalendarDay, CalendarYear, DayKind, DaySource

# chinese_calendar's own validation bounds; probed, not hard-coded, so a package upgrade adds years.
_PROBE_YEARS = range(1949, 2101)


@dataclass(frozen=True)
class SeedDay:
    date: date
    is_workday: bool
    kind: DayKind
    name: str | None


@dataclass(frozen=True)
class SeedReport:
    years: list[int]
    inserted: int
    updated: int
    kept_overrides: int


def package_version() -> str:
    return f"chinesecalendar {importlib.metadata.version('chinesecalendar')}"


@cache
def package_years() -> tuple[int, ...]:
    """The years the installed package has data for (it raises NotImplementedError beyond them)."""
    return tuple(year for year in _PROBE_YEARS if _package_covers(year))


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def package_year(year: int) -> tuple[SeedDay, ...]:
    """Every date of the year as the package sees it; cached because seeding runs per test."""
    day, days = date(year, 1, 1), []
    while day.year == year:
        days.append(_package_day(day))
        day += timedelta(days=1)
    return tuple(days)


def _package_day(day: date) -> SeedDay:
    on_holiday, english_name = chinese_calendar.get_holiday_detail(day)
    name = chinese_calendar.Holiday(english_name).chinese if english_name else None
    weekend = day.weekday() >= 5
    if english_name is None:
        return SeedDay(day, not weekend, DayKind.WEEKEND if weekend else DayKind.WORKDAY, None)
    if not on_holiday:
        return SeedDay(day, True, DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY, name)
    if chinese_calendar.is_in_lieu(day):
        name = f"{name}（调休）"
    return SeedDay(day, False, DayKind.HOLIDAY, name)


def seed_from_package(session: Session, clock: Clock, years: list[int] | None = None) -> SeedReport:
    """Write the package's schedule for `years` (default: all it covers); the caller commits."""
    covered = package_years()
    wanted = sorted(set(years)) if years is not None else list(covered)
    missing = "、".join(str(year) for year in wanted if year not in covered)
    if missing:
        raise ValueError(
            f"chinesecalendar 没有 {missing} 年的数据（只有 {covered[0]}–{covered[-1]} 年） "
            f"(the package has no data for {missing}; it covers {covered[0]}–{covered[-1]})"
        )
    now, inserted, updated, kept = clock.now(), 0, 0, 0
    for year in wanted:
        existing = _stored_values(session, year)
        new_rows, changed = [], []
        for seed in package_year(year):
            stored = existing.get(seed.date)
            if stored is None:
                new_rows.append(_row(seed, now))
            elif stored[3] == DaySource.ADMIN:
                kept += 1
            elif stored != (seed.is_workday, seed.kind, seed.name, DaySource.CHINESECALENDAR):
                changed.append(_row(seed, now))
        if new_rows:
            session.execute(insert(CalendarDay), new_rows)
        if changed:
            session.execute(update(CalendarDay), changed)  # bulk UPDATE by primary key
        inserted, updated = inserted + len(new_rows), updated + len(changed)
        _mark_published(session, year, DaySource.CHINESECALENDAR, package_version(), now, None)
    report = SeedReport(wanted, inserted, updated, kept)
    if inserted or updated:
        append_event(
            session,
            clock,
            "calendar.seeded",
            after={
                "source": package_version(),
                "years": wanted,
                "inserted": inserted,
                "updated": updated,
                "kept_overrides": kept,
            },
        )
    return report


def set_day(
    session: Session,
    clock: Clock,
    day: date,
    *,
    is_workday: bool,
    reason: str,
    name: str | None = None,
    actor_id: int | None = None,
) -> CalendarDay:
    """An administrator's override: always wins over seeding. The caller commits."""
    if not reason.strip():
        raise ValueError("调整工作日历必须填写原因 (a reason is required to change the calendar)")
    row = session.get(CalendarDay, day)
    before = _snapshot(row)
    if row is None:
        row = CalendarDay(date=day)
        session.add(row)
    if name is None and row.kind == DayKind.HOLIDAY and not is_workday:
        name = row.name
    row.is_workday = is_workday
    row.kind = _override_kind(day, is_workday)
    row.name = name
    row.source = DaySource.ADMIN
    row.reason = reason.strip()
    row.updated_at = clock.now()
    row.updated_by_id = actor_id
    session.flush()
    append_event(session, clock, "calendar.day_set", actor_id=actor_id, before=before, after=_snapshot(row))
    return row


def reset_day(session: Session, clock: Clock, day: date, *, actor_id: int | None = None) -> CalendarDay | None:
    """Undo an override: the package's answer comes back (or the Mon–Fri rule in a hand-published
    year, or nothing in an unpublished one). The caller commits."""
    row = session.get(CalendarDay, day)
    if row is None or row.source != DaySource.ADMIN:
        return row
    before = _snapshot(row)
    year = session.get(CalendarYear, day.year)
    if day.year in package_years():
        _apply(row, _package_day(day), DaySource.CHINESECALENDAR, clock, actor_id)
    elif year is not None and year.complete:
        _apply(row, _rule_day(day), DaySource.RULE, clock, actor_id)
    else:
        session.delete(row)
        row = None
    session.flush()
    append_event(session, clock, "calendar.day_reset", actor_id=actor_id, before=before, after=_snapshot(row))
    return row


def publish_year(session: Session, clock: Clock, year: int, *, reason: str, actor_id: int | None = None) -> int:
    """Declare a year's schedule complete before the package has it (the State Council notice is out
    each November): days the administrator did not set follow Mon–Fri. Returns the rows added."""
    if not reason.strip():
        raise ValueError("发布年度日历必须填写原因 (a reason is required to publish a year)")
    if year in package_years():
        raise ValueError(f"{year} 年已有 chinesecalendar 数据，请使用 seed (the package covers {year}; seed it instead)")
    now, existing = clock.now(), _stored_values(session, year)
    added = [
        {**_row(_rule_day(day), now), "source": DaySource.RULE}
        for day in (date(year, 1, 1) + timedelta(days=offset) for offset in range(_days_in(year)))
        if day not in existing
    ]
    if added:
        session.execute(insert(CalendarDay), added)
    before = _year_snapshot(session.get(CalendarYear, year))
    record = _mark_published(session, year, DaySource.ADMIN, None, now, actor_id)
    append_event(
        session,
        clock,
        "calendar.year_published",
        actor_id=actor_id,
        before=before,
        after={**_year_values(record), "reason": reason.strip(), "rule_days_added": len(added)},
    )
    return len(added)


def published_years(session: Session) -> list[int]:
    return list(session.scalars(select(CalendarYear.year).where(CalendarYear.complete).order_by(CalendarYear.year)))


def _stored_values(session: Session, year: int) -> dict[date, tuple[bool, DayKind, str | None, DaySource]]:
    # Plain columns, not ORM objects: the bulk UPDATE below would leave loaded objects stale.
    rows = session.execute(
        select(CalendarDay.date, CalendarDay.is_workday, CalendarDay.kind, CalendarDay.name, CalendarDay.source).where(
            CalendarDay.date >= date(year, 1, 1), CalendarDay.date <= date(year, 12, 31)
        )
    )
    return {day: (is_workday, kind, name, source) for day, is_workday, kind, name, source in rows}


def _mark_published(
    session: Session, year: int, source: DaySource, version: str | None, now: datetime, actor_id: int | None
) -> CalendarYear:
    record = session.get(CalendarYear, year)
    if record is None:
        record = CalendarYear(year=year)
        session.add(record)
    elif record.complete and record.source == source and record.source_version == version:
        return record  # re-seeding the same data does not move seeded_at
    record.source, record.source_version, record.complete = source, version, True
    record.seeded_at, record.updated_by_id = now, actor_id
    session.flush()
    return record


def _row(seed: SeedDay, now: datetime) -> dict[str, object]:
    return {
        "date": seed.date,
        "is_workday": seed.is_workday,
        "kind": seed.kind,
        "name": seed.name,
        "source": DaySource.CHINESECALENDAR,
        "reason": None,
        "updated_at": now,
        "updated_by_id": None,
    }


def _apply(row: CalendarDay, seed: SeedDay, source: DaySource, clock: Clock, actor_id: int | None) -> None:
    row.is_workday, row.kind, row.name, row.source = seed.is_workday, seed.kind, seed.name, source
    row.reason, row.updated_at, row.updated_by_id = None, clock.now(), actor_id


def _rule_day(day: date) -> SeedDay:
    weekend = day.weekday() >= 5
    return SeedDay(day, not weekend, DayKind.WEEKEND if weekend else DayKind.WORKDAY, None)


def _override_kind(day: date, is_workday: bool) -> DayKind:
    if not is_workday:
        return DayKind.HOLIDAY
    return DayKind.ADJUSTED_WORKDAY if day.weekday() >= 5 else DayKind.WORKDAY


def _days_in(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _snapshot(row: CalendarDay | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {
        "date": row.date.isoformat(),
        "is_workday": row.is_workday,
        "kind": row.kind.value,
        "name": row.name,
        "source": row.source.value,
        "reason": row.reason,
    }


def _year_snapshot(record: CalendarYear | None) -> dict[str, object] | None:
    return None if record is None else _year_values(record)


def _year_values(record: CalendarYear) -> dict[str, object]:
    return {"year": record.year, "source": record.source.value, "source_version": record.source_version, "complete": record.complete}
