"""Guards for the denial-of-service forms that the loop checkpoints cannot interrupt.

One C-level operation (`10 ** 10 ** 10`, `'a' * 10 ** 10`, `int(Decimal('1e999999'))`) can run for
minutes or exhaust memory without ever returning to Python code, so no deadline check would see it.
The policy routes these operators, builtins and methods through the checks below, which estimate
the size of the result before computing it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from engine.scripting.violations import SandboxViolation, bilingual

MAX_INT_BITS = 100_000
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_FORMAT_WIDTH = 10_000
MAX_DECIMAL_EXPONENT = 4_300  # the bound CPython itself puts on int <-> str conversion
MAX_ROUND_DIGITS = 1_000

SIZE_CHECKED_METHODS = frozenset(
    {
        "ljust",
        "rjust",
        "center",
        "zfill",
        "expandtabs",
        "replace",
        "join",
        "translate",
        "strftime",
        "as_integer_ratio",
    }
)
# Characters of an int literal in any base, so that int(text, 2) or int(text, 16) stays within MAX_INT_BITS.
MAX_INT_TEXT = MAX_INT_BITS // 4

_SEQUENCES = (str, bytes, bytearray, list, tuple)
_TEXTS = (str, bytes, bytearray)
_SUMMABLE_STARTS = (int, float, Decimal, timedelta)
_DIGIT_RUN = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxViolation(bilingual("整数运算结果过大", f"integer result would exceed {MAX_INT_BITS} bits"))


def check_length(length: int) -> None:
    if length > MAX_SEQUENCE_LENGTH:
        raise SandboxViolation(bilingual("结果序列过长", f"result would exceed {MAX_SEQUENCE_LENGTH} items"))


def check_decimal_size(value: object) -> None:
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise SandboxViolation(bilingual("Decimal 数值超出可转换范围", f"a Decimal beyond 1E±{MAX_DECIMAL_EXPONENT} cannot be converted"))


def check_format_widths(template: str) -> None:
    if any(_width_too_large(run) for run in _DIGIT_RUN.findall(template)):
        raise SandboxViolation(bilingual("格式宽度或精度过大", f"format width or precision above {MAX_FORMAT_WIDTH}"))


def _width_too_large(digits: str) -> bool:
    return len(digits) > len(str(MAX_FORMAT_WIDTH)) or int(digits) > MAX_FORMAT_WIDTH


# -- operators --------------------------------------------------------------------------------


def check_pow(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        check_int_bits(base.bit_length() * exponent)


def check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int):
        if isinstance(right, int):
            check_int_bits(left.bit_length() + right.bit_length())
        elif isinstance(right, _SEQUENCES):
            check_length(len(right) * left)
    elif isinstance(right, int) and isinstance(left, _SEQUENCES):
        check_length(len(left) * right)


def check_add(left: Any, right: Any) -> None:
    # `s = s + s` in a loop doubles memory on every iteration, faster than a deadline notices.
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        check_length(len(left) + len(right))


def check_lshift(value: Any, shift: Any) -> None:
    if isinstance(value, int) and isinstance(shift, int) and shift > 0:
        check_int_bits(value.bit_length() + shift)


def check_mod(left: Any, right: Any) -> None:
    if isinstance(left, _TEXTS):
        template = left if isinstance(left, str) else bytes(left).decode("latin-1")
        check_percent_format(template, right)


def check_percent_format(template: str, arguments: Any) -> None:
    for match in _PERCENT_SPEC.finditer(template):
        for part in match.groups():
            if part == "*":
                raise SandboxViolation(bilingual("%-格式不支持 * 宽度", "'*' widths in %-formatting are not supported"))
            if part and _width_too_large(part):
                raise SandboxViolation(bilingual("格式宽度或精度过大", f"format width or precision above {MAX_FORMAT_WIDTH}"))
    for value in _percent_values(arguments):
        check_decimal_size(value)


def _percent_values(arguments: Any) -> Iterable[Any]:
    if isinstance(arguments, dict):
        return arguments.values()
    return arguments if isinstance(arguments, tuple) else (arguments,)


def guarded_pow(base: Any, exponent: Any) -> Any:
    check_pow(base, exponent)
    return base**exponent


def guarded_mul(left: Any, right: Any) -> Any:
    check_mul(left, right)
    return left * right


def guarded_add(left: Any, right: Any) -> Any:
    check_add(left, right)
    return left + right


def guarded_lshift(value: Any, shift: Any) -> Any:
    check_lshift(value, shift)
    return value << shift


def guarded_mod(left: Any, right: Any) -> Any:
    check_mod(left, right)
    result = left % right
    if isinstance(result, _TEXTS):
        check_length(len(result))
    return result


_INPLACE: dict[str, tuple[Callable[[Any, Any], None] | None, Callable[[Any, Any], Any]]] = {
    "+=": (check_add, operator.iadd),
    "-=": (None, operator.isub),
    "*=": (check_mul, operator.imul),
    "/=": (None, operator.itruediv),
    "//=": (None, operator.ifloordiv),
    "%=": (check_mod, operator.imod),
    "**=": (check_pow, operator.ipow),
    "<<=": (check_lshift, operator.ilshift),
    ">>=": (None, operator.irshift),
    "&=": (None, operator.iand),
    "|=": (None, operator.ior),
    "^=": (None, operator.ixor),
    "@=": (None, operator.imatmul),
}


def guarded_inplace(op: str, target: Any, value: Any) -> Any:
    check, apply = _INPLACE[op]
    if check is not None:
        check(target, value)
    return apply(target, value)


# -- builtins ---------------------------------------------------------------------------------


def guarded_range(*bounds: int) -> range:
    numbers = range(*bounds)
    try:
        length = len(numbers)
    except OverflowError:
        length = MAX_SEQUENCE_LENGTH + 1
    check_length(length)
    return numbers


def guarded_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        check_decimal_size(number)
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise SandboxViolation(bilingual("round() 的位数过大", f"round() ndigits beyond ±{MAX_ROUND_DIGITS}"))
    return round(number, ndigits)


def guarded_sum(values: Iterable[Any], /, start: Any = 0) -> Any:
    # sum(lists, []) concatenates quadratically inside one C call.
    if not isinstance(start, _SUMMABLE_STARTS):
        raise SandboxViolation(bilingual("sum() 只能对数值求和", "sum() only adds numbers; build lists with a comprehension"))
    return sum(values, start)


def guarded_format(value: Any, conversion: int, spec: str) -> str:
    """What an f-string replacement field `{value!conversion:spec}` produces, after checking the spec."""
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    check_format_widths(spec)
    if spec[-1:] in ("f", "F", "%"):
        check_decimal_size(value)
    return format(value, spec)


def checked_text(text: str) -> str:
    """An f-string with several fields, checked once built: `s = f"{s}{s}"` must not double forever."""
    check_length(len(text))
    return text


class _IntLike(type):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, int)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, int)

    def __call__(cls, *args: Any, **kwargs: Any) -> int:
        if args:
            check_decimal_size(args[0])
            if isinstance(args[0], _TEXTS) and len(args[0]) > MAX_INT_TEXT:
                raise SandboxViolation(bilingual("整数文本过长", f"integer text longer than {MAX_INT_TEXT} characters"))
        return int(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(int, name)


class GuardedInt(metaclass=_IntLike):
    """`int` as scripts see it: isinstance/issubclass behave as for int, but converting a Decimal
    such as 1E+999999 (tens of seconds inside one C call) is refused."""


# -- methods ----------------------------------------------------------------------------------


def checked_method(owner: object, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the bound methods whose output size is set by an argument; others pass through."""
    if isinstance(owner, _TEXTS):
        if name in ("ljust", "rjust", "center", "zfill"):
            return _padding(method)
        if name == "expandtabs":
            return _expandtabs(owner, method)
        if name == "replace":
            return _replace(owner, method)
        if name == "join":
            return _join(owner, method)
        if name == "translate" and isinstance(owner, str):
            return _translate(owner, method)
    if isinstance(owner, (date, time_of_day)) and name == "strftime":
        return _strftime(method)
    if isinstance(owner, Decimal) and name == "as_integer_ratio":
        check_decimal_size(owner)
    return method


def _padding(method: Callable[..., Any]) -> Callable[..., Any]:
    def padded(width: int, *fill: Any) -> Any:
        if isinstance(width, int):
            check_length(width)
        return method(width, *fill)

    return padded


def _expandtabs(text: str | bytes | bytearray, method: Callable[..., Any]) -> Callable[..., Any]:
    def expanded(tabsize: int = 8) -> Any:
        if isinstance(tabsize, int):
            check_length(len(text) * max(tabsize, 1))
        return method(tabsize)

    return expanded


def _replace(text: str | bytes | bytearray, method: Callable[..., Any]) -> Callable[..., Any]:
    def replaced(old: Any, new: Any, count: int = -1) -> Any:
        growth = len(new) - len(old)
        if growth > 0:
            hits = text.count(old) if old else len(text) + 1
            if count >= 0:
                hits = min(hits, count)
            check_length(len(text) + hits * growth)
        return method(old, new, count)

    return replaced


def _join(separator: str | bytes | bytearray, method: Callable[..., Any]) -> Callable[..., Any]:
    def joined(parts: Iterable[Any]) -> Any:
        items = list(parts)
        try:
            total = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
        except TypeError:
            total = 0  # join() itself reports the non-text part
        check_length(total)
        return method(items)

    return joined


def _translate(text: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def translated(table: Any) -> Any:
        if isinstance(table, dict):
            longest = max((len(value) for value in table.values() if isinstance(value, str)), default=1)
            check_length(len(text) * longest)
        return method(table)

    return translated


def _strftime(method: Callable[[str], str]) -> Callable[[str], str]:
    def formatted(template: str) -> str:
        check_format_widths(template)
        return method(template)

    return formatted
