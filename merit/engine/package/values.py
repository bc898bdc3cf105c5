"""Value conversions for platform exports (column-mapping profiles): the words and units that Chinese
e-commerce back offices write, turned into the plain text of the data package.

Each converter takes the trimmed cell text (never empty) and returns the package text, or raises
:class:`BadValue` whose message is the reason shown in the problem report.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from merit.engine.package.plans import FALSE_WORDS, TRUE_WORDS


class BadValue(ValueError):
    """A cell that the conversion cannot read; the message is the reason."""


# ---- yes / no ----------------------------------------------------------------------------------

YES_WORDS = (*TRUE_WORDS, "是的", "有", "对", "已转化", "已下单", "已付款", "已回复", "成功", "√", "✓")
NO_WORDS = (*FALSE_WORDS, "不是", "无", "没有", "未转化", "未下单", "未付款", "未回复", "失败", "×", "✗")
R_YES_NO = "not a yes/no value (expected 是/否, Y/N, 已转化/未转化, true/false, 1/0)"


def yes_no(text: str, yes: tuple[str, ...] = (), no: tuple[str, ...] = ()) -> str:
    low = text.strip().lower()
    if low in YES_WORDS or low in (w.lower() for w in yes):
        return "true"
    if low in NO_WORDS or low in (w.lower() for w in no):
        return "false"
    raise BadValue(R_YES_NO)


# ---- durations ---------------------------------------------------------------------------------

UNIT_SECONDS = {
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "天": 86400,
    "日": 86400,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "小时": 3600,
    "时": 3600,
    "个小时": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "分钟": 60,
    "分": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "秒钟": 1,
    "秒": 1,
}
BARE_UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
# Longest unit words first, so that "分钟" is not read as "分" followed by "钟".
_UNITS = "|".join(sorted((re.escape(u) for u in UNIT_SECONDS), key=len, reverse=True))
RE_PARTS = re.compile(rf"\s*({_NUMBER})\s*({_UNITS})\s*", re.IGNORECASE)
RE_CLOCK = re.compile(r"(?:([0-9]+)[:：])?([0-9]{1,2})[:：]([0-9]{1,2}(?:\.[0-9]+)?)")
R_DURATION = "not a duration (expected e.g. 65, 65秒, 1分5秒, 00:01:05, 1小时2分)"


def duration_seconds(text: str, bare_unit: str = "s") -> Decimal:
    """``65``, ``65秒``, ``1分5秒``, ``1分钟5秒``, ``00:01:05``, ``01:05``, ``1小时2分``, ``2天3小时``,
    ``1.5h`` → seconds. A bare number is in ``bare_unit`` (s, min, h or d)."""
    t = text.strip().replace(",", "")
    if re.fullmatch(_NUMBER, t):
        return Decimal(t) * BARE_UNITS[bare_unit]
    m = RE_CLOCK.fullmatch(t)
    if m:
        hours, minutes, seconds = m.group(1), m.group(2), m.group(3)
        if hours is None:  # mm:ss
            return Decimal(minutes) * 60 + Decimal(seconds)
        if int(minutes) > 59 or Decimal(seconds) >= 60:
            raise BadValue(R_DURATION)
        return Decimal(hours) * 3600 + Decimal(minutes) * 60 + Decimal(seconds)
    total = Decimal(0)
    pos = 0
    for part in RE_PARTS.finditer(t):
        if part.start() != pos:
            raise BadValue(R_DURATION)
        total += Decimal(part.group(1)) * UNIT_SECONDS[part.group(2).lower()]
        pos = part.end()
    if pos == 0 or pos != len(t):
        raise BadValue(R_DURATION)
    return total


def duration(text: str, bare_unit: str = "s") -> str:
    """A duration as whole seconds (half a second rounds up)."""
    return str(duration_seconds(text, bare_unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def days(text: str, bare_unit: str = "d") -> str:
    """A duration as days with up to 4 decimal places (``3.5天``, ``84小时``, ``2天12小时`` → 3.5)."""
    d = duration_seconds(text, bare_unit) / 86400
    return _plain(d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# ---- numbers -----------------------------------------------------------------------------------

R_NUMBER = "not a number (expected e.g. 1234.50, ¥1,234.50, 45.2%)"
R_PERCENT = "not a percentage (expected e.g. 45.2%, 0.452)"
_CURRENCY = ("¥", "￥", "RMB", "CNY", "元")


def _decimal(t: str, reason: str) -> Decimal:
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise BadValue(reason) from None
    if not d.is_finite():
        raise BadValue(reason)
    return d


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(text: str) -> str:
    """``¥1,234.50``, ``1234.5元``, ``RMB 12`` → ``1234.50``-style plain decimal text."""
    t = text.strip()
    for sign in _CURRENCY:
        t = t.replace(sign, "")
    t = t.replace(",", "").replace("，", "").strip()
    return _plain(_decimal(t, R_NUMBER))


def percent(text: str) -> str:
    """``45.2%`` → ``0.452``; ``45.2 %`` too; a bare number is a fraction already (``0.452``)."""
    t = text.strip().replace(",", "")
    if t.endswith(("%", "％")):
        d = _decimal(t[:-1].strip(), R_PERCENT) / 100
        return _plain(d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    return _plain(_decimal(t, R_PERCENT))


def number(text: str) -> str:
    """A plain number, a percentage (``45.2%`` → 0.452) or an amount (``¥12``)."""
    t = text.strip()
    if t.endswith(("%", "％")):
        return percent(t)
    return money(t)


# ---- times -------------------------------------------------------------------------------------

RE_CN_DATE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?\s*(.*)")
RE_CN_MONTH = re.compile(r"([0-9]{4})\s*[年./-]\s*([0-9]{1,2})\s*月?")
R_PERIOD = "not a month (expected e.g. 2026-03, 2026年3月, 2026/3)"


def timestamp(text: str) -> str:
    """``2026年3月5日 10:15`` → ``2026-03-05 10:15``; ``2026.03.05 10:15`` → ``2026-03-05 10:15``; other
    forms are left for the package loader to judge (ISO 8601, ``2026/3/5 10:15``)."""
    t = text.strip()
    m = RE_CN_DATE.fullmatch(t)
    if m:
        rest = m.group(4).strip()
        rest = rest.replace("时", ":").replace("分", ":").replace("秒", "").rstrip(":")
        t = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" + (f" {rest}" if rest else "")
    elif re.fullmatch(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}( .*)?", t):
        day, _, rest = t.partition(" ")
        t = day.replace(".", "-") + (f" {rest}" if rest else "")
    return t


def period(text: str) -> str:
    """``2026-03``, ``2026年3月``, ``2026/3``, ``2026.03``, ``2026-03-01`` (a date: its month) → ``2026-03``."""
    t = text.strip()
    m = re.fullmatch(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.][0-9]{1,2}(?:[ T].*)?", t)
    if m is None:
        m = RE_CN_MONTH.fullmatch(t) or re.fullmatch(r"([0-9]{4})([0-9]{2})", t)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise BadValue(R_PERIOD)
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def subaccount(text: str) -> str:
    """A Taobao/Tmall sub-account ``店铺名:小王`` → ``小王`` (the part after the last colon)."""
    t = text.strip()
    for sep in (":", "："):
        if sep in t:
            t = t.rsplit(sep, 1)[1].strip()
    return t


CONVERTERS = {
    "text": None,
    "yes_no": yes_no,
    "duration": duration,
    "days": days,
    "money": money,
    "number": number,
    "percent": percent,
    "timestamp": timestamp,
    "period": period,
    "subaccount": subaccount,
    "map": None,
}
