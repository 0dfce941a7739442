"""The `due_rule` property as written in BPMN: a due rule, optionally a rule-set reference, and
optionally the task-data date it counts from.

    3 working days                        from the task's creation
    P3M from branch_resolution_date       three calendar months from a date in the task data
    rule:committee_approval from branch_resolution_date
                                          the value of that rule in the instance's rule set
                                          (task data `rule_set` and `rule_set_version`,
                                          e.g. "2026.05"), cited as
                                          (version, article)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from engine.calendar import CHINA_UTC_OFFSET, DueDataInvalid, DueRule, DueRuleInvalid, parse_due_rule
from engine.procedures.rule_sets import RuleSetLibrary
from engine.timers.spiff_clock import to_naive_utc

_ANCHOR = re.compile(r"^(?P<rule>.+?)\s+from\s+(?P<anchor>[A-Za-z][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class ResolvedDueRule:
    rule: DueRule
    anchor: datetime | None  # None: count from the task's creation
    citation: str | None  # (version, article) when the rule came from a rule set


def check_due_rule_text(text: str, rule_sets: RuleSetLibrary) -> None:
    """Deploy-time check; raises DueRuleInvalid with a message for the deployer."""
    rule_text, _anchor = _split(text)
    if rule_text.startswith("rule:"):
        key = rule_text[len("rule:") :].strip()
        if not any(key in rule_set.rules for rule_set in rule_sets.every()):
            raise DueRuleInvalid(f"规则集中没有规则 {key} (no rule named {key!r} in any rule set version)")
        return
    parse_due_rule(rule_text)


def resolve_due_rule(text: str, data: Mapping[str, Any], rule_sets: RuleSetLibrary) -> ResolvedDueRule | None:
    """The rule and its anchor; None when the instance's regulation version has no such rule
    (e.g. the 2014 细则 sets no limit between 预审 and the branch meeting)."""
    rule_text, anchor_name = _split(text)
    citation = None
    if rule_text.startswith("rule:"):
        version, rule_set = data.get("rule_set_version"), data.get("rule_set")
        if not isinstance(version, str) or not isinstance(rule_set, str):
            raise DueDataInvalid(
                f"期限规则 {text!r} 需要任务数据 rule_set 和 rule_set_version (needs the instance's rule set and its version)"
            )
        rule = rule_sets.load(rule_set, version).rules.get(rule_text[len("rule:") :].strip())
        if rule is None:
            return None
        rule_text, citation = str(rule.value), rule.citation
    anchor = _anchor(text, anchor_name, data) if anchor_name else None
    return ResolvedDueRule(parse_due_rule(rule_text), anchor, citation)


def _split(text: str) -> tuple[str, str | None]:
    cleaned = " ".join(str(text).split())
    match = _ANCHOR.match(cleaned)
    return (match["rule"], match["anchor"]) if match else (cleaned, None)


def _anchor(text: str, name: str, data: Mapping[str, Any]) -> datetime:
    value = data.get(name)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, datetime):
        return to_naive_utc(value)  # a naive datetime is taken as UTC, like every stored timestamp
    if isinstance(value, date):
        return datetime.combine(value, time()) - CHINA_UTC_OFFSET  # midnight in Beijing
    raise DueDataInvalid(f"期限规则 {text!r} 需要任务数据 {name} 为日期 (due rule {text!r} needs {name} to be a date), got {value!r}")
