"""Due rules written in BPMN properties (`due_rule`, timer durations), parsed at deploy time.

Grammar (case-insensitive, spaces optional around the unit):
* an ISO 8601 duration on the Gregorian calendar: P3M, P1Y, P3W, P5D, PT2S, P1Y2M…
* working days: `<amount> working [days]`, `<amount> [个]工作日`, where amount is a whole number,
  `P<n>D`, or the name of a task-data variable holding the number (`feedback_days working`);
  by default a deadline: the n-th working day after the start ("decide within 3 working days";
  5 working days from Mon 2025-09-29 is Mon 2025-10-13). Followed by `inclusive` / `含起始日` it
  is a window counted from the start day, as 公示 periods are (docs/DOMAIN.md §5.3); `after` /
  `不含起始日` states the default explicitly.

Times are naive UTC; days are counted in Beijing time, and a working-day deadline falls due at the
end (24:00 Beijing time) of its last working day.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.calendar.periods import IsoPeriod, add_calendar_period, parse_iso_duration
from engine.calendar.service import CalendarResult, WorkCalendar
from engine.errors import EngineError

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
CHINA_UTC_OFFSET = timedelta(hours=8)

_WORKING = re.compile(
    r"(?P<amount>\S+?)\s*(?:working(?:\s+days?)?|个?工作日)"
    r"(?:\s*[（(]?\s*(?P<mode>after|inclusive|不含起始日|含起始日)\s*[)）]?)?",
    re.IGNORECASE,
)
_INCLUSIVE_MODES = {"inclusive", "含起始日"}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DAYS_ONLY = re.compile(r"P(\d+)D", re.IGNORECASE)
_OTHER_DURATION = re.compile(r"PT?\d.*", re.IGNORECASE)

_EXAMPLES = "P3M、P1Y、P3W、P5D、PT2S、“5 working days”、“5 工作日”、“P5D working”、“feedback_days working”"


class DueRuleInvalid(ValueError):
    """The text of a due rule cannot be understood; reported when the process is deployed."""


class DueDataInvalid(EngineError):
    """The task data a due rule reads is missing or not a positive whole number."""

    code = "due_data_invalid"


@dataclass(frozen=True)
class DueRule:
    text: str
    period: IsoPeriod | None = None  # a calendar period, or
    working_days: int | None = None  # a fixed number of working days, or
    variable: str | None = None  # the task-data field holding the number of working days
    inclusive: bool = False

    def due_from(self, start: datetime, calendar: WorkCalendar, data: Mapping[str, Any] | None = None) -> CalendarResult[datetime]:
        """The deadline for something that started at `start` (naive UTC), as naive UTC."""
        local_start = start + CHINA_UTC_OFFSET
        if self.period is not None:
            due = add_calendar_period(local_start, self.period) - CHINA_UTC_OFFSET
            clamp = "（月末对齐）" if self.period.years or self.period.months else ""
            return CalendarResult(due, False, f"按公历计算 {self.period.describe_zh()}{clamp}")
        n = self.working_days if self.working_days is not None else self._read_variable(data or {})
        result = calendar.add_working_days(local_start.date(), n, inclusive=self.inclusive)
        due = end_of_china_day(result.value)
        return CalendarResult(due, result.provisional, result.basis + "，至北京时间当日 24:00")

    def _read_variable(self, data: Mapping[str, Any]) -> int:
        value = data.get(self.variable or "")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DueDataInvalid(
                f"期限规则 {self.text!r} 需要任务数据 {self.variable} 为正整数，当前为 {value!r} "
                f"(due rule {self.text!r} needs {self.variable} to be a positive whole number, got {value!r})"
            )
        return value


def to_beijing_date(moment: datetime) -> date:
    """The calendar day in China of a naive UTC moment."""
    return (moment + CHINA_UTC_OFFSET).date()


def end_of_china_day(day: date) -> datetime:
    """24:00 Beijing time at the end of `day`, as naive UTC."""
    return datetime.combine(day + timedelta(days=1), time()) - CHINA_UTC_OFFSET


def parse_due_rule(text: str) -> DueRule:
    """Parse a due rule; raises DueRuleInvalid (a ValueError) with a message for the deployer."""
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise DueRuleInvalid(f"期限规则为空，应写作 {_EXAMPLES} 等 (the due rule is empty)")
    working = _WORKING.fullmatch(cleaned)
    if working is not None:
        inclusive = (working.group("mode") or "").lower() in _INCLUSIVE_MODES
        return _working_rule(cleaned, working.group("amount"), inclusive)
    if cleaned[:1] in "pP":
        try:
            return DueRule(cleaned, period=parse_iso_duration(cleaned))
        except ValueError as error:
            raise DueRuleInvalid(f"期限规则 {cleaned!r} 无效：{error}") from None
    raise DueRuleInvalid(
        f"期限规则 {cleaned!r} 无法识别，应写作 {_EXAMPLES} 等 "
        f"(unrecognised due rule {cleaned!r}: use an ISO 8601 duration or '<n> working days')"
    )


def _working_rule(text: str, amount: str, inclusive: bool) -> DueRule:
    days_only = _DAYS_ONLY.fullmatch(amount)
    if amount.isdigit() or days_only:
        n = int(days_only.group(1) if days_only else amount)
        if n < 1:
            raise DueRuleInvalid(f"期限规则 {text!r} 的工作日数必须为正整数 (the number of working days must be ≥ 1)")
        return DueRule(text, working_days=n, inclusive=inclusive)
    if _OTHER_DURATION.fullmatch(amount):
        raise DueRuleInvalid(
            f"期限规则 {text!r} 的工作日只能按天计，应写作 P<n>D working "
            f"(working-day rules count days only: write P<n>D working, not {amount!r})"
        )
    if _VARIABLE.fullmatch(amount) and not keyword.iskeyword(amount):
        return DueRule(text, variable=amount, inclusive=inclusive)
    raise DueRuleInvalid(
        f"期限规则 {text!r} 中的工作日数 {amount!r} 应为正整数、P<n>D 或任务数据变量名 "
        f"(working days must be a whole number, P<n>D, or a task-data variable name; got {amount!r})"
    )
