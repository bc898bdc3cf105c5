"""Reads of the ledgers: entries a user may see, and balances derived by summing entries (one GROUP BY).

No balance is stored: a balance is always the sum of the entries, so it cannot disagree with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum

from merit.ledger.models import LedgerEntry
from merit.ledger.posting import BOOKS
from merit.org.access import filter_to_user


def visible_entries(user) -> QuerySet[LedgerEntry]:
    """The entries of the agents ``user`` may see (merit.org.access): own, team, or all."""
    return filter_to_user(LedgerEntry.objects.all(), user, agent="agent")


def with_reversal(qs: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """``reversed_by``: the id of the entry that reverses each one (None while in force)."""
    return qs.annotate(reversed_by=F("reversal__id"))


def balances(
    agent_ids: Iterable[str] | None = None,
    book: str | None = None,
    as_of_period: str | None = None,
    entries: QuerySet[LedgerEntry] | None = None,
) -> list[dict]:
    """``[{agent_id, book, balance, entries}]`` ordered by agent and book: the sum of the entries of each
    agent and book, up to and including ``as_of_period`` (YYYY-MM) when given. ``entries`` narrows the
    rows first (e.g. :func:`visible_entries`). One query."""
    qs = LedgerEntry.objects.all() if entries is None else entries
    if agent_ids is not None:
        qs = qs.filter(agent_id__in=list(agent_ids))
    if book is not None:
        qs = qs.filter(book=book)
    if as_of_period is not None:
        qs = qs.filter(period__lte=as_of_period)
    rows = (
        qs.order_by()
        .values("agent_id", "book")
        .annotate(balance=Sum("amount"), entries=Count("id"))
        .order_by("agent_id", "book")
    )
    return [{**row, "balance": exact_sum(row["balance"])} for row in rows]


def period_totals(entries: QuerySet[LedgerEntry]) -> list[dict]:
    """``[{period, book, total, balance}]`` in period order (points before money): each period's sum, and the balance at its
    end (the running sum over the periods), for the entries given (normally one agent's)."""
    rows = (
        entries.order_by().values("period", "book").annotate(total=Sum("amount")).order_by("period", "book")
    )
    running: dict[str, Decimal] = {}
    out = []
    for row in sorted(rows, key=lambda r: (r["period"], BOOKS.index(r["book"]))):
        total = exact_sum(row["total"])
        running[row["book"]] = running.get(row["book"], Decimal("0.00")) + total
        out.append(
            {"period": row["period"], "book": row["book"], "total": total, "balance": running[row["book"]]}
        )
    return out


def book_totals(entries: QuerySet[LedgerEntry]) -> dict[str, Decimal]:
    """``{book: sum}`` of the entries given (one GROUP BY)."""
    rows = entries.order_by().values("book").annotate(total=Sum("amount")).order_by("book")
    return {row["book"]: exact_sum(row["total"]) for row in rows}


def exact_sum(value) -> Decimal:
    """A sum as an exact 2-place Decimal (SQLite sums decimals as floating values: rounding to the cent
    gives the exact sum back as long as totals stay far below 10^13)."""
    total = Decimal(value if value is not None else 0).quantize(Decimal("0.01"))
    return total if total else abs(total)  # never "-0.00"
