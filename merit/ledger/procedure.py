"""Entries of a procedure: what a penalty notice, an approved reward, an appeal's outcome, a redemption in
the points shop or a recognition posts to the ledgers outside any run.

Same rules as a run's posting (merit.ledger.actions): rows are only added, a correction is a reversal
(the negated amount, ``reverses`` = the original, at most once per original) and, where the amount
changes, a new entry. Every row carries ``origin`` ("notice:12", "appeal:5", "redemption:3", …), the
document that posted it; one audit row describes each posting. Callers hold their own transaction (the
procedure's state change and its entries commit together); these functions open a savepoint otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from merit.audit.log import record
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry

ORIGIN_KINDS = ("proposal", "notice", "appeal", "redemption", "recognition", "offset")


@dataclass(frozen=True)
class Movement:
    """One entry a procedure posts."""

    agent_id: str
    book: str  # P.POINTS or P.MONEY
    category: str  # one of P.CATEGORIES[book]
    amount: Decimal  # + credit, − debit; 2 places
    period: str  # YYYY-MM the entry belongs to
    rule: str  # the catalogue item or rule id
    label: str = ""
    source: tuple = ()  # [{table, id}] rows it rests on


def origin_of(kind: str, pk: int) -> str:
    if kind not in ORIGIN_KINDS:
        raise ValueError(f"unknown origin kind {kind!r} (known: {', '.join(ORIGIN_KINDS)})")
    return f"{kind}:{pk}"


def _check(m: Movement) -> Decimal:
    if m.book not in P.BOOKS:
        raise ValueError(f"账本未知 unknown book {m.book!r}")
    if m.category not in P.CATEGORIES[m.book]:
        raise ValueError(f"类别 {m.category!r} 不属于账本 {m.book} / category not in book {m.book}")
    amount = Decimal(m.amount)
    if amount != amount.quantize(P.CENT):
        raise ValueError(f"金额最多两位小数 amount {amount} has more than 2 decimals")
    return amount.quantize(P.CENT)


def post(movements: list[Movement], origin: str, user, *, action: str = "ledger.post_procedure", target=None):
    """Add ``movements`` as entries with ``origin``; returns the rows (with their ids)."""
    with transaction.atomic():
        rows = []
        for n, m in enumerate(movements, start=1):
            amount = _check(m)
            source = [dict(s) for s in m.source]
            rows.append(
                LedgerEntry(
                    agent_id=m.agent_id,
                    book=m.book,
                    category=m.category,
                    amount=amount,
                    period=m.period,
                    rule=m.rule[:100],
                    label=m.label[:500],
                    source=source,
                    key=P.entry_key(m.agent_id, m.period, m.book, m.category, origin, source, n),
                    origin=origin,
                    created_by=user,
                )
            )
        LedgerEntry.objects.bulk_create(rows)
        record(
            user,
            action,
            target,
            detail={
                "table": LedgerEntry._meta.db_table,
                "origin": origin,
                "entries": [r.pk for r in rows],
                "total": {b: str(sum((r.amount for r in rows if r.book == b), P.ZERO)) for b in P.BOOKS},
            },
        )
        return rows


def reverse(originals: list[LedgerEntry], origin: str, user, *, action: str = "ledger.reverse", target=None):
    """Reverse each of ``originals`` (the negated amount, pointing at it) under ``origin``.

    An entry already reversed is refused (the one-to-one ``reverses`` column would refuse it too)."""
    from merit.ledger.actions import reversal_of

    with transaction.atomic():
        ids = [e.pk for e in originals]
        locked = list(LedgerEntry.objects.filter(pk__in=ids).select_for_update().order_by("pk"))
        done = set(LedgerEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))
        if done:
            raise ValueError(
                f"分录已冲销 entries already reversed: {', '.join(f'#{i}' for i in sorted(done))}"
            )
        rows = [reversal_of(e, user, origin=origin) for e in locked]
        LedgerEntry.objects.bulk_create(rows)
        record(
            user,
            action,
            target,
            detail={
                "table": LedgerEntry._meta.db_table,
                "origin": origin,
                "reverses": ids,
                "entries": [r.pk for r in rows],
            },
        )
        return rows
