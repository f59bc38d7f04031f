"""JSON with exact decimals, both directions.

Amounts are JSON numbers on this API. Python's json module writes Decimal only through a
`default` hook, whose result is written as a string (quoted) or must be a float; neither is
an exact number. So requests are written here: a Decimal is written as its own digits
(format "f": never an exponent, every trailing zero kept: Decimal("0.10") -> 0.10), a float
is refused. Answers are read with parse_float=Decimal, so 1234567.89 arrives as
Decimal("1234567.89") and never passes through a binary float.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping


def dumps(value: Any) -> bytes:
    """value -> compact UTF-8 JSON; dicts keep their order (the field order of the examples)."""
    return _encode(value).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """JSON -> Python with every non-integer number as Decimal; NaN/Infinity are refused."""
    return json.loads(data, parse_float=Decimal, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        raise TypeError("floats are never written: amounts are Decimal")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (date, datetime)):  # datetime is a date: both as ISO 8601 text
        return _string(value.isoformat())
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_string(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
