"""ISO 8601 durations on the plain Gregorian calendar: months and years clamp to the month's end.

No working-day lookup happens here: P1M, P3M, P1Y and the like are calendar periods (docs/DOMAIN.md §2.4).
"""

from __future__ import annotations

import calendar as gregorian
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

_ISO_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)

Moment = TypeVar("Moment", date, datetime)


@dataclass(frozen=True)
class IsoPeriod:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @property
    def has_time(self) -> bool:
        return bool(self.hours or self.minutes or self.seconds)

    @property
    def is_zero(self) -> bool:
        return not (self.years or self.months or self.weeks or self.days or self.has_time)

    def describe_zh(self) -> str:
        """E.g. "1 年 2 个月"; used in the basis of a deadline."""
        units = (
            (self.years, "年"),
            (self.months, "个月"),
            (self.weeks, "周"),
            (self.days, "天"),
            (self.hours, "小时"),
            (self.minutes, "分钟"),
            (self.seconds, "秒"),
        )
        return " ".join(f"{amount} {unit}" for amount, unit in units if amount)


def parse_iso_duration(text: str) -> IsoPeriod:
    """Parse P3M, P1Y, P3W, P5D, PT2S, P1Y2M10DT2H…; whole, non-negative numbers only."""
    cleaned = text.strip().upper()
    match = _ISO_DURATION.fullmatch(cleaned)
    if match is None or cleaned in ("P", "") or cleaned.endswith("T"):
        raise ValueError(
            f"无法识别的 ISO 8601 期间 {text!r}，应写作 P3M、P1Y、P3W、P5D、PT2S 等 (not an ISO 8601 duration with whole numbers: {text!r})"
        )
    period = IsoPeriod(**{name: int(value) for name, value in match.groupdict().items() if value})
    if period.is_zero:
        raise ValueError(f"期间不能为零：{text!r} (a zero duration is not a deadline: {text!r})")
    return period


def add_calendar_period(start: Moment, duration: str | IsoPeriod) -> Moment:
    """Add a duration on the Gregorian calendar: years and months first, clamped to the last day of
    the target month (2026-01-31 + P1M = 2026-02-28), then weeks, days and the time of day."""
    period = parse_iso_duration(duration) if isinstance(duration, str) else duration
    if period.has_time and not isinstance(start, datetime):
        raise ValueError(f"日期没有时分秒，不能加 {duration!r} (a date has no time of day to add {duration!r} to)")
    moved = add_months(start, period.years * 12 + period.months)
    moved += timedelta(weeks=period.weeks, days=period.days)
    if period.has_time:
        moved += timedelta(hours=period.hours, minutes=period.minutes, seconds=period.seconds)
    return moved


def add_months(start: Moment, months: int) -> Moment:
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = gregorian.monthrange(year, month + 1)[1]
    return start.replace(year=year, month=month + 1, day=min(start.day, last_day))
