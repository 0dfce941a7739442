"""Which regulation version an instance runs under, and what a version without a rule means."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InvalidCommand, NotFound
from engine.procedures.due_rule_text import resolve_due_rule
from engine.procedures.rule_set_choice import choose_version
from processes import EXTENSIONS

RULE_SETS = EXTENSIONS.rule_sets


@pytest.mark.parametrize(
    ("day", "version"),
    [(date(2014, 6, 10), "2014"), (date(2026, 5, 17), "2014"), (date(2026, 5, 18), "2026.05"), (date(2030, 1, 1), "2026.05")],
)
def test_the_version_in_force_follows_the_effective_dates(day, version):
    assert RULE_SETS.version_in_force("member_development", day) == version


def test_no_version_in_force_before_the_first_is_a_clear_error():
    with pytest.raises(NotFound, match="2014-06-09"):
        RULE_SETS.version_in_force("member_development", date(2014, 6, 9))


def test_asked_then_chosen_by_the_unit_or_above_then_in_force(org_tree):
    today = date(2026, 11, 25)
    branch, committee = org_tree.branch_a, org_tree.committee
    assert choose_version(RULE_SETS, "member_development", branch, None, today) == "2026.05"
    committee.rule_set_choices = {"member_development": "2014"}
    assert choose_version(RULE_SETS, "member_development", branch, None, today) == "2014"  # the 党委's choice reaches its branches
    branch.rule_set_choices = {"member_development": "2026.05"}
    assert choose_version(RULE_SETS, "member_development", branch, None, today) == "2026.05"  # the branch's own choice first
    assert choose_version(RULE_SETS, "member_development", branch, "2014", today) == "2014"  # asked for explicitly
    with pytest.raises(InvalidCommand, match=r"2014、2026\.05"):
        choose_version(RULE_SETS, "member_development", branch, "2019", today)


def test_a_rule_the_instances_version_does_not_have_sets_no_deadline():
    data = {"rule_set": "member_development", "rule_set_version": "2014", "pre_review_date": "2026-03-02"}
    assert resolve_due_rule("rule:branch_meeting_after_pre_review from pre_review_date", data, RULE_SETS) is None
    data["rule_set_version"] = "2026.05"
    resolved = resolve_due_rule("rule:branch_meeting_after_pre_review from pre_review_date", data, RULE_SETS)
    assert resolved is not None and resolved.citation == "2026.05 §19"
