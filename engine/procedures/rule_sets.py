"""Rule sets as data: the deadlines and limits of a regulation version, each naming its article.

A rule set is a folder of versions, `<folder>/<version>.json`; each process package brings its own
(`processes/<key>/rules/`) and names it in its extensions. Article numbers shift between versions,
so every rule is cited as (version, article), never as a bare article. An instance keeps the rule
set it started under. A value is a due rule, a positive integer, or for a `maximum` a share written
like "1/3" (of the members, say).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.calendar import DueRuleInvalid, parse_due_rule, parse_iso_duration
from engine.errors import NotFound

KINDS = frozenset(
    {
        "deadline",
        "hard_limit",
        "earliest",
        "window",
        "cycle",
        "period",
        "minimum",
        "maximum",
        "minimum_age",
        "flag",
        "advisory",
    }
)
_FRACTION = re.compile(r"(?P<num>[0-9]{1,4})/(?P<den>[0-9]{1,4})")
TAGS = frozenset({"S", "S-local", "R", "M"})  # seen in a source, local rule, reported, from memory (docs/DOMAIN.md)


class RuleSetInvalid(ValueError):
    """A rule-set file that cannot be used; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    key: str
    value: str | int
    kind: str
    version: str
    article: str
    tag: str
    text: str
    configurable: bool

    @property
    def citation(self) -> str:
        """How a deadline names its basis, e.g. 《…》（2014）§13."""
        return f"{self.version} {self.article}"


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    title: str
    effective: date
    rules: Mapping[str, Rule]

    def rule(self, key: str) -> Rule:
        if key not in self.rules:
            raise NotFound(f"规则集 {self.name} {self.version} 中没有规则 {key} (no rule {key!r} in this rule set)")
        return self.rules[key]


@dataclass(frozen=True)
class RuleSetLibrary:
    """The rule sets the deployed processes bring, by name: each name is a folder of versions."""

    folders: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    def names(self) -> list[str]:
        return sorted(self.folders)

    def load(self, name: str, version: str) -> RuleSet:
        folder = self.folders.get(name)
        if folder is None or version not in self.versions(name):
            raise NotFound(f"规则集不存在 (no rule set {name} {version})")
        return read_rule_set(folder / f"{version}.json")

    def versions(self, name: str) -> list[str]:
        folder = self.folders.get(name)
        return sorted(path.stem for path in folder.glob("*.json")) if folder is not None else []

    def every(self) -> list[RuleSet]:
        return [self.load(name, version) for name in self.names() for version in self.versions(name)]

    def version_in_force(self, name: str, day: date) -> str:
        """The latest version whose effective date is on or before `day`."""
        in_force = [rule_set for rule_set in (self.load(name, v) for v in self.versions(name)) if rule_set.effective <= day]
        if not in_force:
            raise NotFound(f"{day.isoformat()} 没有生效的规则集 {name} (no version of {name} in force on that day)")
        return max(in_force, key=lambda rule_set: rule_set.effective).version


@lru_cache(maxsize=64)
def read_rule_set(path: Path) -> RuleSet:
    """Rule sets ship with the code, so each file is read once per process."""
    return parse_rule_set(json.loads(path.read_text(encoding="utf-8")), path.name)


def whole_months(rule: Rule | None, default: int) -> int:
    """A period rule in months (P6M -> 6, P1Y -> 12); the default when the version has no such rule."""
    if rule is None or not isinstance(rule.value, str):
        return default
    period = parse_iso_duration(rule.value)
    return period.years * 12 + period.months


def parse_rule_set(raw: Mapping[str, Any], source: str) -> RuleSet:
    version = _text(raw, "version", source)
    rules = {key: _rule(key, spec, version, source) for key, spec in _mapping(raw, "rules", source).items()}
    try:
        effective = date.fromisoformat(_text(raw, "effective", source))
    except ValueError:
        raise RuleSetInvalid(f"{source}: effective 须为日期，如 2014-06-10 (effective must be a date)") from None
    return RuleSet(_text(raw, "rule_set", source), version, _text(raw, "title", source), effective, rules)


def _rule(key: str, spec: Any, version: str, source: str) -> Rule:
    where = f"{source}: {key}"
    if not isinstance(spec, Mapping):
        raise RuleSetInvalid(f"{where}: 规则必须是对象 (a rule must be an object)")
    kind, tag = spec.get("kind"), spec.get("tag")
    if kind not in KINDS:
        raise RuleSetInvalid(f"{where}: 未知的规则类型 (unknown kind) {kind!r}")
    if tag not in TAGS:
        raise RuleSetInvalid(f"{where}: 来源标记须为 {sorted(TAGS)} (tag must be one of them), got {tag!r}")
    value = spec.get("value")
    if kind == "maximum" and isinstance(value, str) and "/" in value:
        _check_fraction(value, where)
    elif isinstance(value, str):
        try:
            parse_due_rule(value)
        except DueRuleInvalid as invalid:
            raise RuleSetInvalid(f"{where}: {invalid}") from None
    elif not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise RuleSetInvalid(f"{where}: 取值须为期限、正整数或比例 (value must be a duration, a positive integer or a fraction)")
    article = spec.get("article")
    if not isinstance(article, str) or not article.startswith("§"):
        raise RuleSetInvalid(f"{where}: 每条规则须注明条款，如 §13 (every rule names its article)")
    return Rule(key, value, kind, version, article, tag, str(spec.get("text", "")), bool(spec.get("configurable", False)))


def _check_fraction(value: str, where: str) -> None:
    if as_fraction(value) is None:
        raise RuleSetInvalid(f"{where}: 比例须写作 1/3，介于 0 和 1 之间 (a fraction is written like 1/3, between 0 and 1)")


def as_fraction(value: object) -> Fraction | None:
    """A `maximum` given as a share, e.g. "1/3" of the members; None when it is not one."""
    match = _FRACTION.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match["den"]) == 0:
        return None
    share = Fraction(int(match["num"]), int(match["den"]))
    return share if 0 < share <= 1 else None


def _text(raw: Mapping[str, Any], field: str, source: str) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not value:
        raise RuleSetInvalid(f"{source}: 缺少 {field} (missing {field})")
    return value


def _mapping(raw: Mapping[str, Any], field: str, source: str) -> Mapping[str, Any]:
    value = raw.get(field)
    if not isinstance(value, Mapping) or not value:
        raise RuleSetInvalid(f"{source}: 缺少 {field} (missing {field})")
    return value
