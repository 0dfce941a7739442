"""Due rules as written on user tasks: counted from a date in the task data, and taken from the
instance's rule set with their citation."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.calendar import DueDataInvalid, DueRuleInvalid, WorkCalendar
from engine.procedures.due_rule_text import check_due_rule_text, resolve_due_rule
from processes import EXTENSIONS

RULE_SETS = EXTENSIONS.rule_sets


def test_a_calendar_period_from_a_date_in_the_task_data():
    resolved = resolve_due_rule("P3M from branch_resolution_date", {"branch_resolution_date": date(2026, 1, 31)}, RULE_SETS)
    assert resolved.anchor == datetime(2026, 1, 30, 16, 0)  # midnight of 1/31 in Beijing
    due = resolved.rule.due_from(resolved.anchor, WorkCalendar(None, allow_provisional=True))  # type: ignore[arg-type]
    assert due.value == datetime(2026, 4, 29, 16, 0)  # 2026-04-30 00:00 Beijing: Jan 31 + 3 months, clamped


@pytest.mark.parametrize(("version", "citation"), [("2014", "2014 §25"), ("2026.05", "2026.05 §25")])
def test_a_rule_from_the_instances_rule_set_carries_its_citation(version, citation):
    data = {"rule_set": "member_development", "rule_set_version": version, "branch_resolution_date": "2026-03-02"}
    resolved = resolve_due_rule("rule:committee_approval from branch_resolution_date", data, RULE_SETS)
    assert resolved.citation == citation and resolved.rule.period is not None and resolved.rule.period.months == 3
    assert resolved.anchor == datetime(2026, 3, 1, 16, 0)


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("rule:committee_approval", {}),  # no rule set on the instance
        ("rule:committee_approval", {"rule_set_version": "2014"}),  # a version, but of which rule set
        ("P3M from branch_resolution_date", {}),
        ("P3M from branch_resolution_date", {"branch_resolution_date": "last spring"}),
    ],
)
def test_missing_or_bad_task_data_is_a_clear_error(text, data):
    with pytest.raises(DueDataInvalid):
        resolve_due_rule(text, data, RULE_SETS)


def test_deploy_time_checks():
    check_due_rule_text("rule:probation from branch_meeting_date", RULE_SETS)
    check_due_rule_text("3 working days", RULE_SETS)
    with pytest.raises(DueRuleInvalid, match="没有规则"):
        check_due_rule_text("rule:no_such_rule", RULE_SETS)
    with pytest.raises(DueRuleInvalid):
        check_due_rule_text("P3M from", RULE_SETS)
