"""``signed``: an exact amount with its sign and thousands separators (+1,234.50, −20.00, 0.00)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def signed(value) -> str:
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    if not amount:
        return "0.00"
    return f"{amount:+,.2f}".replace("-", "−")


@register.filter
def plain(value) -> str:
    """An exact amount with thousands separators and a − sign (balances)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}".replace("-", "−")
