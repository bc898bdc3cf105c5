"""Showing the explanations of results.json on the pages: inputs, source rows, times, nested values."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SHANGHAI = ZoneInfo("Asia/Shanghai")


@register.filter
def local_time(value) -> str:
    """An ISO time of results.json (UTC, ``2026-03-08T10:24:06Z``) in Asia/Shanghai."""
    if not value:
        return ""
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        return str(value)
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@register.simple_tag
def source_row(row, metrics=None) -> SafeString:
    """One source of a number: a metric with its parts and selection, or a row of a table."""
    if not isinstance(row, dict):
        return format_html("{}", row)
    if "metric" in row:
        num, den = row.get("num"), row.get("den")
        parts = num if den is None else f"{num} / {den}"
        selection = ((metrics or {}).get(row["metric"]) or {}).get("selection", "")
        return format_html(
            '<code>{}</code>: {} {} — <span class="num">{}</span>{}',
            row["metric"],
            row.get("table", ""),
            row.get("period", ""),
            parts if parts is not None else "—",
            format_html(' <span class="muted">({})</span>', selection) if selection else "",
        )
    if "table" in row and "id" in row:
        extra = ", ".join(f"{k}: {v}" for k, v in row.items() if k not in ("table", "id") and v is not None)
        return format_html(
            "{} <code>{}</code>{}",
            row["table"],
            row["id"],
            format_html(' <span class="muted">({})</span>', extra) if extra else "",
        )
    return show(row)


@register.simple_tag
def show(value) -> SafeString:
    """Any JSON value of an explanation, nested dicts and lists included, escaped."""
    if value is None:
        return mark_safe("—")
    if isinstance(value, bool):
        return mark_safe("✓" if value else "✗")
    if isinstance(value, dict):
        if not value:
            return mark_safe("—")
        items = format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((k, show(v)) for k, v in value.items()))
        return format_html('<dl class="explain">{}</dl>', items)
    if isinstance(value, list):
        if not value:
            return mark_safe("—")
        if all(not isinstance(v, dict | list) for v in value):
            return format_html("{}", ", ".join("—" if v is None else str(v) for v in value))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((show(v),) for v in value)))
    return format_html("{}", value)
