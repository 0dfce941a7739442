"""The values that may pass between the engine and an evaluator process, and their encoding.

JSON's values, plus the Decimal, date, datetime and timedelta that task data may hold (the instance
state stores them as tagged objects too); a tuple travels as a list, as the stored state keeps it.
Anything else (a set, a function, an object, a key that is not text, a number JSON cannot write) is
refused by name and place, so no evaluation can hand the engine a value the database cannot hold.
Encoding is plain JSON in both directions: the engine never unpickles what an evaluator sends.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.scripting.violations import bilingual

TAG = "__sandbox_type__"  # marks an encoded Decimal, date, datetime or timedelta
MAX_DEPTH = 100  # the state serializer and the pages recurse through task data
MAX_INT_DIGITS = 4_000  # CPython refuses to write an int of more than 4,300 digits as text


class UnsafeValue(Exception):
    """A value that cannot leave (or enter) an evaluator; `message` names it and where it was."""

    def __init__(self, reason: str, path: list[str]):
        self.reason = reason
        self.path = path
        super().__init__(reason)

    def message(self, what: str) -> str:
        place = "".join(reversed(self.path))
        refusal = bilingual("脚本数据只能是 JSON 值、Decimal 或日期时间", "only JSON values, Decimal and dates may pass")
        return f"{refusal}: {what}{place}: {self.reason}"


def encode(value: Any) -> bytes:
    """`value` as UTF-8 JSON; raises UnsafeValue for anything outside the contract above."""
    check(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_tagged).encode("utf-8")


def decode(data: bytes) -> Any:
    return json.loads(data, object_hook=_restore)


def check(value: Any, depth: int = 0) -> None:
    """Refuse `value` unless it is one of the values above, nested at most MAX_DEPTH deep."""
    kind = type(value)
    if kind in _PLAIN or value is None:
        return
    if kind is int:
        if value.bit_length() > MAX_INT_DIGITS * 3:  # about 3.3 bits a digit: a cheap, safe bound
            raise UnsafeValue(bilingual("整数过大", f"integer of more than {MAX_INT_DIGITS} digits"), [])
        return
    if kind is float:
        if not math.isfinite(value):
            raise UnsafeValue(bilingual("不是有限数", "not a finite number", value), [])
        return
    if depth >= MAX_DEPTH:
        raise UnsafeValue(bilingual("嵌套过深", f"nested more than {MAX_DEPTH} deep"), [])
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            if type(item) not in _PLAIN:
                _check_inside(item, depth, f"[{index}]")
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise UnsafeValue(bilingual("字典的键必须是文本", "dictionary keys must be text", repr(key)[:40]), [])
            if key == TAG:
                raise UnsafeValue(bilingual("保留的键名", "reserved key", key), [])
            if type(item) not in _PLAIN:
                _check_inside(item, depth, f"[{key!r}]")
        return
    if kind not in _TAGGED:
        raise UnsafeValue(bilingual("不支持的类型", "unsupported type", kind.__name__), [])


_PLAIN = frozenset({str, bool})
_TAGGED = frozenset({Decimal, datetime, date, timedelta})


def _check_inside(value: Any, depth: int, step: str) -> None:
    try:
        check(value, depth + 1)
    except UnsafeValue as unsafe:
        unsafe.path.append(step)
        raise


def _tagged(value: Any) -> dict[str, Any]:
    """What JSON itself cannot write; `check` let only these through."""
    kind = type(value)
    if kind is Decimal:
        return {TAG: "Decimal", "value": str(value)}
    if kind is datetime:
        return {TAG: "datetime", "value": value.isoformat()}
    if kind is date:
        return {TAG: "date", "value": value.isoformat()}
    if kind is timedelta:
        return {TAG: "timedelta", "days": value.days, "seconds": value.seconds, "microseconds": value.microseconds}
    raise TypeError(f"{kind.__name__} is not checked")


def _restore(obj: dict[str, Any]) -> Any:
    kind = obj.get(TAG)
    if kind is None:
        return obj
    if kind == "Decimal":
        return Decimal(obj["value"])
    if kind == "datetime":
        return datetime.fromisoformat(obj["value"])
    if kind == "date":
        return date.fromisoformat(obj["value"])
    if kind == "timedelta":
        return timedelta(days=obj["days"], seconds=obj["seconds"], microseconds=obj["microseconds"])
    raise ValueError(f"unknown tagged value {kind!r}")
