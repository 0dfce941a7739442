"""The names a sandboxed script can see: the guards RestrictedPython's rewritten code calls, the
whitelisted builtins, the helpers pre-bound for BPMN authors, and the per-evaluation deadline."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from time import monotonic
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.scripting import limits
from engine.scripting.violations import SandboxViolation, ScriptTimeout, bilingual

# `mro()` hands out `object` and `BaseException`; `format` reaches attributes through "{0.__class__}";
# `from_bytes` builds ints of any size, beyond what the operator guards assume.
BLOCKED_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro", "format", "format_map", "from_bytes"}

HELPERS: Mapping[str, object] = {
    "Decimal": Decimal,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "timezone": timezone,
}

_CATCHABLE_ERRORS = (
    Exception,
    ArithmeticError,
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    LookupError,
    NameError,
    OverflowError,
    TypeError,
    ValueError,
    ZeroDivisionError,
)

# datetime's C code imports these through the builtins of the running frame (date.today(),
# datetime.strptime()); scripts themselves cannot name __import__.
_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})


def internal_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    if name not in _INTERNAL_IMPORTS or level != 0:
        raise SandboxViolation(bilingual("脚本不允许导入模块", "import is not allowed in scripts", name))
    return builtins.__import__(name, globals, locals, fromlist, level)


SAFE_BUILTINS: Mapping[str, object] = {
    "__import__": internal_import,
    "None": None,
    "True": True,
    "False": False,
    "len": len,
    "min": min,
    "max": max,
    "sum": limits.guarded_sum,
    "sorted": sorted,
    "reversed": reversed,
    "range": limits.guarded_range,
    "enumerate": enumerate,
    "zip": zip,
    "map": map,
    "filter": filter,
    "any": any,
    "all": all,
    "round": limits.guarded_round,
    "abs": abs,
    "int": limits.GuardedInt,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "frozenset": frozenset,
    "tuple": tuple,
    "isinstance": isinstance,
    **{error.__name__: error for error in _CATCHABLE_ERRORS},
}


def guarded_getattr(owner: object, name: str) -> Any:
    if name.startswith("_"):
        raise SandboxViolation(
            bilingual("脚本不允许访问以下划线开头的属性", "attributes starting with '_' are not allowed in scripts", name)
        )
    if name in BLOCKED_ATTRIBUTES:
        raise SandboxViolation(bilingual("脚本不允许访问该属性", "attribute not allowed in scripts", name))
    if name in limits.SIZE_CHECKED_METHODS and isinstance(owner, type):
        raise SandboxViolation(bilingual("请在值上调用该方法", "call this method on a value, not on its type", f"{owner.__name__}.{name}"))
    value = getattr(owner, name)
    if name in limits.SIZE_CHECKED_METHODS:
        return limits.checked_method(owner, name, value)
    return value


def guarded_write(target: Any) -> Any:
    """`x[k] = v`, `del x[k]` and `x.a = v` go through here: only dicts and lists may change."""
    if isinstance(target, (dict, list)):
        return target
    raise SandboxViolation(bilingual("脚本只能修改字典和列表", "scripts may only modify dicts and lists", type(target).__name__))


def guarded_inplace_item(container: Any, key: Any, op: str, value: Any) -> None:
    """`container[key] op= value`, which RestrictedPython alone refuses to compile."""
    target = guarded_write(container)
    target[key] = limits.guarded_inplace(op, target[key], value)


def guarded_catch(kinds: Any) -> Any:
    """The class(es) of an `except` clause: only Exception subclasses, so a timeout cannot be caught."""
    for kind in kinds if isinstance(kinds, tuple) else (kinds,):
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            raise SandboxViolation(bilingual("脚本只能捕获 Exception 的子类", "scripts may only catch subclasses of Exception"))
    return kinds


def apply_call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


STATIC_GUARDS: Mapping[str, object] = {
    "_getattr_": guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_write_": guarded_write,
    "_inplacevar_": limits.guarded_inplace,
    "_inplaceitem_": guarded_inplace_item,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_apply_": apply_call,
    "_catchable_": guarded_catch,
    "_add_": limits.guarded_add,
    "_mul_": limits.guarded_mul,
    "_pow_": limits.guarded_pow,
    "_lshift_": limits.guarded_lshift,
    "_mod_": limits.guarded_mod,
    "_format_": limits.guarded_format,
    "_text_": limits.checked_text,
}


def deadline_checker(time_limit_s: float) -> Callable[[], bool]:
    """The `_tick_` the policy calls at every loop iteration, comprehension step and function entry."""
    deadline = monotonic() + time_limit_s

    def tick() -> bool:
        if monotonic() > deadline:
            raise ScriptTimeout(time_limit_s)
        return True

    return tick
