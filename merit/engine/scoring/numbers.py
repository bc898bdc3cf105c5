"""Exact numbers and their canonical text in results (decimals are written as strings)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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


def s(v, quantum: Decimal = POINTS_Q) -> str | None:
    """Canonical text of a number in results.json."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        out = q(v, quantum)
        return "0.00" if out == 0 and quantum == POINTS_Q else str(out if out != 0 else abs(out))
    return str(v)


def val(v) -> str | None:
    """A metric or input value: integers as they are, other decimals to 6 places."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        if v == v.to_integral_value():
            return str(v.quantize(Decimal(1)))
        return str(q(v, VALUE_Q).normalize())
    return str(v)
