"""Rule sets as data: every rule cites (version, article); the versions differ where the 2026
revision changed the rules; a bad file is refused with the rule it is about."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

import pytest

from engine.calendar import WorkCalendar, parse_due_rule, seed_from_package
from engine.procedures.rule_sets import RuleSetInvalid, as_fraction, parse_rule_set
from processes import EXTENSIONS

RULE_SETS = EXTENSIONS.rule_sets


def test_both_regulation_versions_load_and_every_rule_cites_its_article():
    assert RULE_SETS.versions("member_development") == ["2014", "2026.05"]
    for version in ("2014", "2026.05"):
        rules = RULE_SETS.load("member_development", version)
        assert all(rule.article.startswith("§") and rule.version == version for rule in rules.rules.values())


def test_the_2026_revision_differs_where_the_regulation_changed():
    old, new = (RULE_SETS.load("member_development", v) for v in ("2014", "2026.05"))
    assert "branch_meeting_after_pre_review" not in old.rules
    assert new.rule("branch_meeting_after_pre_review").value == "P1M"
    assert (old.rule("probation").citation, new.rule("probation").citation) == ("2014 §32", "2026.05 §31")


def test_a_rule_value_is_a_usable_due_rule(session, clock):
    seed_from_package(session, clock, years=[2026])
    calendar = WorkCalendar(session)
    probation = RULE_SETS.load("member_development", "2026.05").rule("probation")
    passed = datetime(2026, 6, 30, 2, 0)
    assert parse_due_rule(probation.value).due_from(passed, calendar).value == datetime(2027, 6, 30, 2, 0)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"value": "P1M", "kind": "deadline", "tag": "S"}, "条款"),
        ({"value": "soon", "kind": "deadline", "article": "§7", "tag": "S"}, "无法识别"),
        ({"value": "P1M", "kind": "whenever", "article": "§7", "tag": "S"}, "未知的规则类型"),
        ({"value": "P1M", "kind": "deadline", "article": "§7", "tag": "X"}, "来源标记"),
        ({"value": 0, "kind": "minimum", "article": "§7", "tag": "S"}, "正整数"),
        ({"value": "4/3", "kind": "maximum", "article": "§7", "tag": "S"}, "比例"),
        ({"value": "1/0", "kind": "maximum", "article": "§7", "tag": "S"}, "比例"),
        ({"value": "1/3", "kind": "minimum", "article": "§7", "tag": "S"}, "无法识别"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule(rule, message):
    raw = {"rule_set": "member_development", "version": "x", "title": "t", "rules": {"talk": rule}}
    with pytest.raises(RuleSetInvalid, match=message) as refused:
        parse_rule_set(raw, "bad.json")
    assert "bad.json: talk" in str(refused.value)


def test_a_maximum_may_be_a_share_of_the_members():
    cap = RULE_SETS.load("democratic_appraisal", "2019").rule("excellent_cap")
    assert (cap.kind, cap.value, cap.citation) == ("maximum", "1/3", "2019 §27")
    assert as_fraction(cap.value) == Fraction(1, 3)
    assert as_fraction("P1M") is None and as_fraction(3) is None
