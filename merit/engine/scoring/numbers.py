"""Exact numbers and their canonical text in results (decimals are written as strings)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

CENT = Decimal("0.01")
POINTS_Q = Decimal("0.01")
VALUE_Q = Decimal("0.000001")


def D(v) -> Decimal | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, str):
        return Decimal(v)
    raise TypeError(f"not an exact number: {v!r}")


def q(v: Decimal | None, quantum: Decimal = POINTS_Q) -> Decimal | None:
    """Round half up (四舍五入) to the quantum; the rule every total and amount uses."""
    return None if v is None else v.quantize(quantum, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=1 << 16)
def _points_text(v: Decimal, quantum: Decimal) -> str:
    # The text depends only on the numeric value, so equal decimals (1 and 1.0) may share an entry.
    out = v.quantize(quantum, rounding=ROUND_HALF_UP)
    return str(out if out else out.copy_abs())


@lru_cache(maxsize=1 << 16)
def _value_text(v: Decimal) -> str:
    text = format(v.quantize(VALUE_Q, rounding=ROUND_HALF_UP), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def s(v, quantum: Decimal = POINTS_Q) -> str | None:
    """Canonical text of a number in results.json (rounded half up to the quantum, never "-0.00")."""
    if type(v) is Decimal:
        return _points_text(v, quantum)
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return s(Decimal(v), quantum)
    return str(v)


def val(v) -> str | None:
    """A metric or input value: integers as they are, other decimals to at most 6 places."""
    if type(v) is Decimal:
        return _value_text(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return val(Decimal(v))
    return str(v)
