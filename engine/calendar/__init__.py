"""The calendar service: Gregorian periods, China's official working days, and due rules.

See `service` for the working-day conventions, `due_rules` for the rule grammar used in BPMN.
"""

from engine.calendar.due_rules import (
    CHINA_UTC_OFFSET,
    DueDataInvalid,
    DueRule,
    DueRuleInvalid,
    end_of_china_day,
    parse_due_rule,
)
from engine.calendar.periods import IsoPeriod, add_calendar_period, parse_iso_duration
from engine.calendar.seeding import (
    SeedReport,
    package_years,
    publish_year,
    published_years,
    reset_day,
    seed_from_package,
    set_day,
)
from engine.calendar.service import CalendarResult, CalendarUnknown, DayStatus, WorkCalendar

__all__ = [
    "CHINA_UTC_OFFSET",
    "CalendarResult",
    "CalendarUnknown",
    "DayStatus",
    "DueDataInvalid",
    "DueRule",
    "DueRuleInvalid",
    "IsoPeriod",
    "SeedReport",
    "WorkCalendar",
    "add_calendar_period",
    "end_of_china_day",
    "package_years",
    "parse_due_rule",
    "parse_iso_duration",
    "publish_year",
    "published_years",
    "reset_day",
    "seed_from_package",
    "set_day",
]
