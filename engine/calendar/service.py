"""Working-day arithmetic on China's official schedule, read from the `calendar_days` table.

Conventions (docs/DOMAIN.md §5.3):
* `add_working_days(start, n)` (inclusive, the default): a window of n working days counted from
  the start date; the start date is day 1 when it is a working day, otherwise the first working
  day after it is. 2025-09-29 + 5 → 2025-10-11 (9/29, 9/30, 10/9, 10/10, Sat 10/11 调休上班).
* `add_working_days(start, n, inclusive=False)`: the n-th working day after the start date
  (what `chinese_calendar.find_workday(n, start)` returns). 2025-09-29 + 5 → 2025-10-13.
* `working_days_between` counts the same way, so `working_days_between(s, add_working_days(s, n)) == n`.

A year without a complete schedule raises `CalendarUnknown`, or, with `allow_provisional=True`,
falls back to Monday–Friday and every result that used such a day says `provisional=True`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.periods import IsoPeriod, Moment, add_calendar_period
from engine.errors import EngineError
from engine.models import CalendarDay, CalendarYear, DayKind, DaySource

T = TypeVar("T")


class CalendarUnknown(EngineError):
    """Working days were asked for in a year whose official holiday schedule is not published."""

    code = "calendar_unknown"

    def __init__(self, year: int):
        super().__init__(
            f"{year} 年的法定节假日安排尚未发布，无法计算工作日 "
            f"(the official holiday schedule for {year} is not published; working days cannot be computed)"
        )
        self.year = year


@dataclass(frozen=True)
class CalendarResult(Generic[T]):
    value: T
    provisional: bool
    basis: str  # a short Chinese description of how the value was reached


@dataclass(frozen=True)
class DayStatus:
    date: date
    is_workday: bool
    kind: DayKind
    name: str | None
    source: DaySource
    provisional: bool  # True: guessed Mon–Fri in a year with no published schedule


@dataclass(frozen=True)
class _Year:
    year: int
    published: bool
    source: DaySource | None
    days: dict[date, CalendarDay]


class WorkCalendar:
    """Read-only view of the calendar; each year is loaded once per instance."""

    def __init__(self, session: Session, *, allow_provisional: bool = False):
        self._session = session
        self.allow_provisional = allow_provisional
        self._years: dict[int, _Year] = {}

    def day(self, day: date) -> DayStatus:
        year = self._year(day.year)
        row = year.days.get(day)
        # An administrator's entry is a decision, not a guess, even in an unpublished year.
        if row is not None and (year.published or row.source == DaySource.ADMIN):
            return DayStatus(day, row.is_workday, row.kind, row.name, row.source, provisional=False)
        if year.published:
            return _weekday_rule(day, provisional=False)
        if not self.allow_provisional:
            raise CalendarUnknown(day.year)
        return _weekday_rule(day, provisional=True)

    def is_workday(self, day: date) -> bool:
        """Whether the date is worked; `day()` says whether the answer is provisional."""
        return self.day(day).is_workday

    def add_working_days(self, start: date, n: int, *, inclusive: bool = True) -> CalendarResult[date]:
        """The last day of a window of n working days from `start` (inclusive, the default), or the
        n-th working day after `start` (inclusive=False). See the module docstring."""
        if n < 1:
            raise ValueError(f"工作日数必须为正整数，当前为 {n} (the number of working days must be ≥ 1, got {n})")
        seen: list[DayStatus] = []
        counted = 0
        for status in self._walk(start if inclusive else start + timedelta(days=1)):
            seen.append(status)
            counted += status.is_workday
            if counted == n:
                return self._result(status.date, seen, _count_phrase(n, inclusive))
        raise AssertionError("unreachable: the walk is endless")  # pragma: no cover

    def count_working_days(self, start: date, end: date, *, inclusive: bool = True) -> CalendarResult[int]:
        """Working days in [start, end] (inclusive) or (start, end]; 0 when end is before start."""
        first = start if inclusive else start + timedelta(days=1)
        seen = [self.day(first + timedelta(days=offset)) for offset in range((end - first).days + 1)]
        count = sum(status.is_workday for status in seen)
        phrase = f"{start.isoformat()} 至 {end.isoformat()} 共 {count} 个工作日（{'含' if inclusive else '不含'}起始日）"
        return self._result(count, seen, phrase)

    def working_days_between(self, start: date, end: date, inclusive: bool = True) -> int:
        return self.count_working_days(start, end, inclusive=inclusive).value

    @staticmethod
    def add_calendar_period(start: Moment, iso_duration: str | IsoPeriod) -> Moment:
        return add_calendar_period(start, iso_duration)

    def _walk(self, first: date) -> Iterator[DayStatus]:
        day = first
        while True:
            yield self.day(day)
            day += timedelta(days=1)

    def _result(self, value: T, seen: Iterable[DayStatus], phrase: str) -> CalendarResult[T]:
        statuses = list(seen)
        provisional = any(status.provisional for status in statuses)
        return CalendarResult(value, provisional, phrase + _describe_basis(statuses, self._years))

    def _year(self, year: int) -> _Year:
        if year not in self._years:
            self._years[year] = self._load_year(year)
        return self._years[year]

    def _load_year(self, year: int) -> _Year:
        record = self._session.get(CalendarYear, year)
        rows = self._session.scalars(
            select(CalendarDay)
            .where(CalendarDay.date >= date(year, 1, 1), CalendarDay.date <= date(year, 12, 31))
            .execution_options(populate_existing=True)  # seeding updates rows in bulk, past the identity map
        )
        published = record is not None and record.complete
        return _Year(year, published, record.source if record else None, {row.date: row for row in rows})


def _weekday_rule(day: date, *, provisional: bool) -> DayStatus:
    weekend = day.weekday() >= 5
    kind = DayKind.WEEKEND if weekend else DayKind.WORKDAY
    return DayStatus(day, not weekend, kind, None, DaySource.RULE, provisional)


def _count_phrase(n: int, inclusive: bool) -> str:
    return f"{n} 个工作日（含起始日）" if inclusive else f"起始日后第 {n} 个工作日"


def _describe_basis(statuses: list[DayStatus], years: dict[int, _Year]) -> str:
    """E.g. "，依据国务院办公厅 2025 年节假日安排"; names overrides and provisional years."""
    touched = sorted({status.date.year for status in statuses})
    official = [y for y in touched if years[y].published and years[y].source == DaySource.CHINESECALENDAR]
    by_admin = [y for y in touched if years[y].published and years[y].source != DaySource.CHINESECALENDAR]
    guessed = sorted({status.date.year for status in statuses if status.provisional})
    parts = []
    if official:
        parts.append(f"依据国务院办公厅 {_years_zh(official)} 年节假日安排")
    if by_admin:
        parts.append(f"依据管理员录入的 {_years_zh(by_admin)} 年节假日安排")
    if any(status.source == DaySource.ADMIN for status in statuses):
        parts.append("含管理员调整的日期")
    if guessed:
        parts.append(f"{_years_zh(guessed)} 年安排尚未发布，暂按周一至周五计算（临时结果）")
    return "，" + "；".join(parts) if parts else ""


def _years_zh(years: list[int]) -> str:
    return "、".join(str(year) for year in years)
