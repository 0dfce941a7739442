"""The calendar service: China's official working days (docs/DOMAIN.md §5), Gregorian periods (§2.4),
administrator overrides, unpublished years, due rules, and the `wf calendar` commands."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import click
import pytest
from sqlalchemy import func, select, update

from api.cli.calendar import calendar as calendar_commands
from engine.audit import verify_chain
from engine.calendar import (
    CalendarUnknown,
    DueDataInvalid,
    DueRuleInvalid,
    WorkCalendar,
    add_calendar_period,
    package_years,
    parse_due_rule,
    publish_year,
    reset_day,
    seed_from_package,
    set_day,
)
from engine.calendar.seeding import package_year
from engine.models import AuditEvent, CalendarDay, CalendarYear, DayKind, DaySource

NATIONAL_DAY_START = date(2025, 9, 29)  # a Monday; 10/1–10/8 off, Saturday 10/11 worked


@pytest.fixture
def seeded(session, clock):
    """2025 and 2026 only: the rows are computed once per run, inserting two years is quick."""
    seed_from_package(session, clock, [2025, 2026])
    session.commit()
    return session


def _events(session, event_type):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)))


# --- working days on the official schedule ---------------------------------------------------


def test_a_five_day_window_counted_from_the_start_day_ends_on_the_adjusted_saturday(seeded):
    result = WorkCalendar(seeded).add_working_days(NATIONAL_DAY_START, 5)
    assert result.value == date(2025, 10, 11)  # 9/29, 9/30, 10/9, 10/10, Sat 10/11
    assert result.provisional is False
    assert result.basis == "5 个工作日（含起始日），依据国务院办公厅 2025 年节假日安排"
    assert result.value == chinese_calendar.find_workday(4, NATIONAL_DAY_START)


def test_the_fifth_working_day_after_the_start_day_is_the_monday_after(seeded):
    result = WorkCalendar(seeded).add_working_days(NATIONAL_DAY_START, 5, inclusive=False)
    assert result.value == date(2025, 10, 13)  # the docs/DOMAIN.md §5.2 library check
    assert result.basis.startswith("起始日后第 5 个工作日")
    assert result.value == chinese_calendar.find_workday(5, NATIONAL_DAY_START)


def test_a_window_starting_on_a_day_off_begins_on_the_next_working_day(seeded):
    assert WorkCalendar(seeded).add_working_days(date(2025, 10, 1), 1).value == date(2025, 10, 9)
    assert WorkCalendar(seeded).add_working_days(date(2025, 10, 1), 1, inclusive=False).value == date(2025, 10, 9)


def test_counting_between_dates_agrees_with_adding(seeded):
    calendar = WorkCalendar(seeded)
    assert calendar.working_days_between(NATIONAL_DAY_START, date(2025, 10, 11)) == 5
    assert calendar.working_days_between(NATIONAL_DAY_START, date(2025, 10, 13), inclusive=False) == 5
    assert calendar.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert calendar.working_days_between(date(2025, 10, 8), date(2025, 10, 1)) == 0
    start = date(2025, 12, 29)
    for n in (1, 3, 10, 40):
        for inclusive in (True, False):
            end = calendar.add_working_days(start, n, inclusive=inclusive).value
            assert calendar.working_days_between(start, end, inclusive=inclusive) == n
    assert "2025、2026 年" in calendar.add_working_days(start, 10).basis


def test_spring_festival_2026_and_its_adjusted_saturdays(seeded):
    calendar = WorkCalendar(seeded)
    for offset in range(9):  # 2/15–2/23
        day = calendar.day(date(2026, 2, 15) + timedelta(days=offset))
        assert (day.is_workday, day.kind, day.name.removesuffix("（调休）")) == (False, DayKind.HOLIDAY, "春节")
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        day = calendar.day(saturday)
        assert (day.is_workday, day.kind, day.name, day.source) == (
            True,
            DayKind.ADJUSTED_WORKDAY,
            "春节",
            DaySource.CHINESECALENDAR,
        )
    assert calendar.add_working_days(date(2026, 2, 13), 2).value == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 13), 3).value == date(2026, 2, 24)
    assert calendar.working_days_between(date(2026, 2, 1), date(2026, 2, 28)) == 16  # 14 weekdays + 2 Saturdays


def test_national_day_2026_and_the_adjusted_saturday_after_it(seeded):
    calendar = WorkCalendar(seeded)
    assert [calendar.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert calendar.day(date(2026, 10, 1)).name == "国庆节"
    assert calendar.day(date(2026, 10, 10)).kind == DayKind.ADJUSTED_WORKDAY
    assert calendar.day(date(2026, 10, 11)).kind == DayKind.WEEKEND
    assert calendar.day(date(2026, 10, 12)).kind == DayKind.WORKDAY


def test_the_table_matches_the_package_day_by_day(seeded):
    calendar = WorkCalendar(seeded)
    day = date(2025, 1, 1)
    while day.year < 2027:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- years without a published schedule ------------------------------------------------------


def test_a_working_day_deadline_in_an_unpublished_year_is_refused(seeded):
    calendar = WorkCalendar(seeded)
    with pytest.raises(CalendarUnknown, match="2027 年的法定节假日安排尚未发布，无法计算工作日") as refused:
        calendar.add_working_days(date(2027, 1, 4), 5)
    assert refused.value.year == 2027 and refused.value.code == "calendar_unknown"
    with pytest.raises(CalendarUnknown):  # a window that runs over the year end
        calendar.add_working_days(date(2026, 12, 28), 10)
    with pytest.raises(CalendarUnknown):
        calendar.is_workday(date(2027, 3, 1))


def test_allow_provisional_falls_back_to_monday_to_friday_and_says_so(seeded):
    calendar = WorkCalendar(seeded, allow_provisional=True)
    result = calendar.add_working_days(date(2027, 1, 1), 5)
    assert result.value == date(2027, 1, 7)  # Fri 1/1 (no holiday guessed), then Mon–Thu
    assert result.provisional is True
    assert "2027 年安排尚未发布，暂按周一至周五计算（临时结果）" in result.basis
    assert calendar.day(date(2027, 1, 1)).provisional is True
    assert calendar.add_working_days(date(2026, 12, 1), 3).provisional is False


def test_an_override_in_an_unpublished_year_is_known_but_the_rest_stays_unknown(seeded, clock):
    set_day(seeded, clock, date(2027, 1, 1), is_workday=False, reason="元旦（预先录入）", name="元旦")
    seeded.commit()
    calendar = WorkCalendar(seeded)
    assert calendar.day(date(2027, 1, 1)).provisional is False
    assert calendar.is_workday(date(2027, 1, 1)) is False
    with pytest.raises(CalendarUnknown):
        calendar.is_workday(date(2027, 1, 4))
    assert WorkCalendar(seeded, allow_provisional=True).add_working_days(date(2027, 1, 1), 1).value == date(2027, 1, 4)


def test_an_administrator_can_publish_a_year_the_package_does_not_have(seeded, clock):
    set_day(seeded, clock, date(2027, 1, 1), is_workday=False, reason="国办发明电〔2026〕X号", name="元旦")
    added = publish_year(seeded, clock, 2027, reason="国办发明电〔2026〕X号")
    seeded.commit()
    assert added == 364
    result = WorkCalendar(seeded).add_working_days(date(2026, 12, 31), 2)
    assert result.value == date(2027, 1, 4)
    assert result.provisional is False
    assert "依据管理员录入的 2027 年节假日安排" in result.basis
    assert _events(seeded, "calendar.year_published")[0].after["reason"] == "国办发明电〔2026〕X号"
    with pytest.raises(ValueError, match="seed"):
        publish_year(seeded, clock, 2026, reason="误操作")


# --- administrator overrides and seeding -----------------------------------------------------


def test_an_override_changes_the_answer_is_audited_and_survives_reseeding(seeded, clock):
    set_day(seeded, clock, date(2025, 10, 9), is_workday=False, reason="本地区民族节日", name="地方节日")
    seeded.commit()
    result = WorkCalendar(seeded).add_working_days(NATIONAL_DAY_START, 5)
    assert result.value == date(2025, 10, 13)
    assert "含管理员调整的日期" in result.basis
    (event,) = _events(seeded, "calendar.day_set")
    assert event.before == {
        "date": "2025-10-09",
        "is_workday": True,
        "kind": "workday",
        "name": None,
        "source": "chinesecalendar",
        "reason": None,
    }
    assert event.after == {
        "date": "2025-10-09",
        "is_workday": False,
        "kind": "holiday",
        "name": "地方节日",
        "source": "admin",
        "reason": "本地区民族节日",
    }

    report = seed_from_package(seeded, clock, [2025, 2026])
    seeded.commit()
    assert (report.inserted, report.updated, report.kept_overrides) == (0, 0, 1)
    assert WorkCalendar(seeded).add_working_days(NATIONAL_DAY_START, 5).value == date(2025, 10, 13)
    assert verify_chain(seeded).ok


def test_an_override_can_be_reset_to_the_official_answer(seeded, clock):
    set_day(seeded, clock, date(2025, 10, 11), is_workday=False, reason="本单位不安排调休上班")
    seeded.commit()
    assert WorkCalendar(seeded).day(date(2025, 10, 11)).kind == DayKind.HOLIDAY
    reset_day(seeded, clock, date(2025, 10, 11))
    seeded.commit()
    day = WorkCalendar(seeded).day(date(2025, 10, 11))
    assert (day.is_workday, day.kind, day.source) == (True, DayKind.ADJUSTED_WORKDAY, DaySource.CHINESECALENDAR)
    (event,) = _events(seeded, "calendar.day_reset")
    assert (event.before["source"], event.after["source"]) == ("admin", "chinesecalendar")


def test_an_override_needs_a_reason(seeded, clock):
    with pytest.raises(ValueError, match="原因"):
        set_day(seeded, clock, date(2025, 10, 9), is_workday=False, reason="  ")


def test_seeding_is_idempotent_and_repairs_rows_that_drifted(seeded, clock):
    assert len(_events(seeded, "calendar.seeded")) == 1
    again = seed_from_package(seeded, clock, [2025, 2026])
    assert (again.inserted, again.updated, again.kept_overrides) == (0, 0, 0)
    seeded.execute(update(CalendarDay).where(CalendarDay.date == date(2026, 10, 10)).values(is_workday=False))
    repaired = seed_from_package(seeded, clock, [2026])
    seeded.commit()
    assert repaired.updated == 1
    assert WorkCalendar(seeded).is_workday(date(2026, 10, 10)) is True
    assert len(_events(seeded, "calendar.seeded")) == 2  # the no-op run left no event


def test_seeding_every_year_the_package_covers(session, clock):
    package_year.cache_clear()
    report = seed_from_package(session, clock)
    session.commit()
    years = package_years()
    assert (years[0], years[-1]) == (2004, 2026)
    assert report.inserted == (date(2027, 1, 1) - date(2004, 1, 1)).days
    assert session.scalar(select(func.count()).select_from(CalendarYear).where(CalendarYear.complete)) == len(years)


def test_seeding_a_year_the_package_lacks_is_refused(session, clock):
    with pytest.raises(ValueError, match="2027"):
        seed_from_package(session, clock, [2026, 2027])


# --- Gregorian periods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2024, 1, 31), "P1M", date(2024, 2, 29)),
        (date(2025, 2, 28), "P1Y", date(2026, 2, 28)),
        (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
        (date(2026, 3, 31), "P3M", date(2026, 6, 30)),
        (date(2026, 8, 31), "P6M", date(2027, 2, 28)),
        (date(2025, 6, 30), "P1Y", date(2026, 6, 30)),
        (date(2026, 2, 20), "P3W", date(2026, 3, 13)),
        (date(2026, 2, 26), "P5D", date(2026, 3, 3)),
        (datetime(2026, 1, 31, 9, 30), "P1M", datetime(2026, 2, 28, 9, 30)),
        (datetime(2026, 12, 31, 23, 59, 59), "PT2S", datetime(2027, 1, 1, 0, 0, 1)),
        (date(2026, 1, 31), "P1Y1M", date(2027, 2, 28)),
    ],
)
def test_calendar_periods_clamp_to_the_end_of_the_month(start, duration, expected):
    assert add_calendar_period(start, duration) == expected
    assert WorkCalendar.add_calendar_period(start, duration) == expected


@pytest.mark.parametrize("duration", ["P", "PT", "P1.5M", "1M", "P-1D", "P0D", "P1M1Y"])
def test_malformed_durations_are_refused(duration):
    with pytest.raises(ValueError, match="期间"):
        add_calendar_period(date(2026, 1, 1), duration)


def test_a_date_has_no_time_of_day_to_add():
    with pytest.raises(ValueError, match="时分秒"):
        add_calendar_period(date(2026, 1, 1), "PT2S")


# --- due rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months", "working_days", "variable", "inclusive"),
    [
        ("P3M", 3, None, None, False),
        ("p1y", 0, None, None, False),
        ("5 working days", None, 5, None, False),
        ("3 working day", None, 3, None, False),
        ("5 工作日", None, 5, None, False),
        ("5个工作日", None, 5, None, False),
        ("P5D working", None, 5, None, False),
        ("5 working days after", None, 5, None, False),
        ("5 个工作日（不含起始日）", None, 5, None, False),
        ("5 working days inclusive", None, 5, None, True),
        ("5 个工作日（含起始日）", None, 5, None, True),
        ("feedback_days working inclusive", None, None, "feedback_days", True),
        ("  publicity_days   working  days ", None, None, "publicity_days", False),
    ],
)
def test_due_rules_are_parsed(text, months, working_days, variable, inclusive):
    rule = parse_due_rule(text)
    assert (rule.working_days, rule.variable, rule.inclusive) == (working_days, variable, inclusive)
    if months is not None:
        assert rule.period is not None and rule.period.months == months


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "期限规则为空"),
        ("soon", "无法识别"),
        ("5 days", "无法识别"),
        ("P1W working", "只能按天计"),
        ("0 working days", "正整数"),
        ("PT", "无效"),
        ("P1.5D", "无效"),
        ("5 working days later", "无法识别"),
        ("class working", "变量名"),
        ("5-1 working", "变量名"),
    ],
)
def test_bad_due_rules_are_refused_with_a_clear_message(text, message):
    with pytest.raises(DueRuleInvalid, match=message) as refused:
        parse_due_rule(text)
    assert isinstance(refused.value, ValueError)


def test_a_working_day_rule_falls_due_at_the_end_of_the_last_day_in_beijing(seeded):
    calendar = WorkCalendar(seeded)
    start = datetime(2025, 9, 28, 20, 0)  # 2025-09-29 04:00 in Beijing
    deadline = parse_due_rule("5 working days").due_from(start, calendar)
    assert deadline.value == datetime(2025, 10, 13, 16, 0)  # end of Mon 2025-10-13 in Beijing
    assert deadline.provisional is False
    assert deadline.basis.endswith("，至北京时间当日 24:00")
    window = parse_due_rule("5 working days inclusive").due_from(start, calendar)
    assert window.value == datetime(2025, 10, 11, 16, 0)  # the 调休 Saturday 10/11 is day 5


def test_a_variable_rule_reads_the_task_data(seeded):
    calendar = WorkCalendar(seeded)
    rule = parse_due_rule("feedback_days working inclusive")
    start = datetime(2025, 9, 29, 1, 0)
    assert rule.due_from(start, calendar, {"feedback_days": 5}).value == datetime(2025, 10, 11, 16, 0)
    assert rule.due_from(start, calendar, {"feedback_days": "5"}).value == datetime(2025, 10, 11, 16, 0)
    for bad in ({}, {"feedback_days": 0}, {"feedback_days": True}, {"feedback_days": "五"}, {"feedback_days": 2.5}):
        with pytest.raises(DueDataInvalid, match="feedback_days"):
            rule.due_from(start, calendar, bad)


def test_calendar_rules_count_months_in_beijing_time(seeded):
    calendar = WorkCalendar(seeded)
    # 2026-01-31 02:00 in Beijing: one month later is 2026-02-28 02:00 there.
    result = parse_due_rule("P1M").due_from(datetime(2026, 1, 30, 18, 0), calendar)
    assert result.value == datetime(2026, 2, 27, 18, 0)
    assert (result.provisional, result.basis) == (False, "按公历计算 1 个月（月末对齐）")
    assert parse_due_rule("PT2S").due_from(datetime(2026, 3, 2, 9, 0), calendar).value == datetime(2026, 3, 2, 9, 0, 2)
    assert parse_due_rule("P3W").due_from(datetime(2026, 3, 2, 9, 0), calendar).basis == "按公历计算 3 周"


def test_a_working_day_rule_in_2027_is_refused_or_provisional(seeded):
    rule = parse_due_rule("5 working days")
    start = datetime(2027, 3, 1, 1, 0)
    with pytest.raises(CalendarUnknown):
        rule.due_from(start, WorkCalendar(seeded))
    # Mon 2027-03-01 + 5 working days, counted Monday to Friday: Mon 2027-03-08.
    result = rule.due_from(start, WorkCalendar(seeded, allow_provisional=True))
    assert (result.value, result.provisional) == (datetime(2027, 3, 8, 16, 0), True)


# --- `wf calendar` commands ------------------------------------------------------------------


@pytest.fixture
def wf_cli(app):
    root = click.Group("wf")
    root.add_command(calendar_commands)
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(root, ["calendar", *args])


def test_the_cli_seeds_sets_shows_and_resets(wf_cli, demo, session_factory):
    seeded = wf_cli("seed", "--year", "2025", "--year", "2026")
    assert seeded.exit_code == 0, seeded.output
    assert "新增 730 天" in seeded.output

    changed = wf_cli("set", "2026-10-10", "--holiday", "--reason", "本单位统一安排", "--by", "admin")
    assert changed.exit_code == 0, changed.output
    assert "2026-10-10 周六 放假 [admin: 本单位统一安排]" in changed.output

    again = wf_cli("seed", "--year", "2026")
    assert "保留管理员调整 1 天" in again.output

    shown = wf_cli("show", "2026-10")
    lines = shown.output.splitlines()
    assert shown.exit_code == 0 and len(lines) == 31
    assert lines[0] == "2026-10-01 周四 放假 国庆节 [chinesecalendar]"
    assert lines[9] == "2026-10-10 周六 放假 [admin: 本单位统一安排]"
    assert lines[11] == "2026-10-12 周一 工作日 [chinesecalendar]"
    assert wf_cli("show", "2026-02-13", "2026-02-14").output.splitlines() == [
        "2026-02-13 周五 工作日 [chinesecalendar]",
        "2026-02-14 周六 调休上班 春节 [chinesecalendar]",
    ]
    assert "未发布" in wf_cli("show", "2027-01-04").output

    reset = wf_cli("reset", "2026-10-10")
    assert "2026-10-10 周六 调休上班 国庆节 [chinesecalendar]" in reset.output
    with session_factory() as session:
        events = _events(session, "calendar.day_set") + _events(session, "calendar.day_reset")
        assert [e.event_type for e in events] == ["calendar.day_set", "calendar.day_reset"]
        assert events[0].actor_id is not None


def test_the_cli_refuses_bad_input(wf_cli):
    assert wf_cli("set", "2026-10-10", "--workday").exit_code == 2  # --reason is required
    assert wf_cli("set", "2026-10-10", "--reason", "x").exit_code == 2  # --workday or --holiday
    assert wf_cli("show", "2026-13").exit_code == 2
    assert wf_cli("show", "2026-10", "2026-09").exit_code == 2
    unknown = wf_cli("set", "2026-10-10", "--workday", "--reason", "x", "--by", "nobody")
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    missing = wf_cli("seed", "--year", "2030")
    assert missing.exit_code == 1 and "2030" in missing.output


def test_the_cli_publishes_a_year(wf_cli, session_factory):
    assert wf_cli("set", "2027-01-01", "--holiday", "--name", "元旦", "--reason", "国办通知").exit_code == 0
    published = wf_cli("publish-year", "2027", "--reason", "国办通知")
    assert published.exit_code == 0, published.output
    assert "364" in published.output
    with session_factory() as session:
        assert WorkCalendar(session).is_workday(date(2027, 1, 4)) is True
