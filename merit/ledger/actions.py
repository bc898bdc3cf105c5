"""The one write of the ledgers: posting a published run's entries (and, for a correction, the reversals).

Entries come only from publishing: there is no other way to add, change or remove one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
from django.db import transaction

from merit.assessment.models import Run
from merit.audit.log import record
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.org.models import Agent

BATCH = 1000


class AlreadyPosted(Exception):
    """A run's entries are posted once, when it is published."""


@dataclass
class Posted:
    entries: int = 0  # new entries
    reversals: int = 0
    total: dict[str, Decimal] = field(default_factory=dict)  # book → sum of every row posted


def post_run(run: Run, user) -> Posted:
    """Post ``run``'s ledger entries from its stored results (called by publish, inside its transaction).

    When ``run.corrects`` is set, the entries of the corrected run (and of the runs it corrected) that
    are still in force for the periods of ``run`` are matched with ``run``'s by key
    (:func:`merit.ledger.posting.diff`): unchanged ones stay, changed and removed ones get a reversal
    (the negated amount, pointing to the original), changed and new ones are posted. So for every agent
    and book the rows posted add up to the new total minus the old one. The corrected run is not touched.
    One audit row describes the whole posting.
    """
    with transaction.atomic():
        if LedgerEntry.objects.filter(run=run).exists():
            raise AlreadyPosted(
                f"考核批次 #{run.pk} 的台账分录已入账 The entries of run #{run.pk} are already posted"
            )
        doc = orjson.loads(bytes(run.results))
        drafts = _not_posted_yet(P.entries_from_results(doc))
        _check_agents({d.agent_id for d in drafts})
        reversals: list[LedgerEntry] = []
        if run.corrects_id is not None:
            periods = [p["period"] for p in doc["periods"]]
            in_force = entries_in_force(run.corrects_id).filter(period__in=periods).order_by("pk")
            to_reverse, drafts = P.diff(in_force, drafts)
            reversals = [reversal_of(e, user, run=run) for e in to_reverse]
        new = [_entry(d, run, user) for d in drafts]
        LedgerEntry.objects.bulk_create(reversals + new, batch_size=BATCH)
        total: dict[str, Decimal] = defaultdict(lambda: P.ZERO)
        for row in reversals + new:
            total[row.book] += row.amount
        posted = Posted(len(new), len(reversals), dict(sorted(total.items())))
        record(
            user,
            "ledger.post",
            run,
            detail={
                "table": LedgerEntry._meta.db_table,
                "run": run.pk,
                "corrects": run.corrects_id,
                "entries": posted.entries,
                "reversals": posted.reversals,
                "total": {book: str(amount) for book, amount in posted.total.items()},
            },
        )
        return posted


def entries_in_force(run_id: int):
    """Entries of the run ``run_id`` and of the runs it corrected, back to the first, that are neither a
    reversal nor reversed: what a correction of ``run_id`` starts from."""
    chain = []
    while run_id is not None:
        chain.append(run_id)
        run_id = Run.objects.filter(pk=run_id).values_list("corrects_id", flat=True).get()
    return LedgerEntry.objects.filter(run_id__in=chain, reverses__isnull=True, reversal__isnull=True)


def _not_posted_yet(drafts: list[P.Draft]) -> list[P.Draft]:
    """Without the drafts for a redemption the points shop already posted (its facts row
    ``redemptions/SHOP-n`` and an entry of the same agent, book and category with that source)."""
    rows = {
        str(s["id"])
        for d in drafts
        for s in d.source
        if s.get("table") == "redemptions" and str(s.get("id", "")).startswith("SHOP-")
    }
    if not rows:
        return drafts
    posted = set()
    for agent_id, book, category, source in LedgerEntry.objects.filter(
        run__isnull=True, reverses__isnull=True, agent_id__in={d.agent_id for d in drafts}
    ).values_list("agent_id", "book", "category", "source"):
        for s in source or []:
            if s.get("table") == "redemptions" and str(s.get("id")) in rows:
                posted.add((agent_id, book, category, str(s["id"])))

    def done(d: P.Draft) -> bool:
        return len(d.source) == 1 and (d.agent_id, d.book, d.category, str(d.source[0].get("id"))) in posted

    return [d for d in drafts if not done(d)]


def _check_agents(agent_ids: set[str]) -> None:
    known = set(Agent.objects.filter(agent_id__in=agent_ids).values_list("agent_id", flat=True))
    missing = sorted(agent_ids - known)
    if missing:
        raise ValueError(
            f"结果中的客服不存在 Agents of the results are not in the database: {', '.join(missing)}"
        )


def _entry(d: P.Draft, run: Run, user) -> LedgerEntry:
    return LedgerEntry(
        agent_id=d.agent_id,
        book=d.book,
        category=d.category,
        amount=d.amount,
        period=d.period,
        rule=d.rule,
        label=d.label[:500],
        source=d.source,
        key=d.key,
        run=run,
        created_by=user,
    )


def reversal_of(original: LedgerEntry, user, *, run: Run | None = None, origin: str = "") -> LedgerEntry:
    """The unsaved entry that reverses ``original`` (the negated amount, ``reverses`` = it), posted by a
    correcting ``run`` or by the procedure ``origin``."""
    return LedgerEntry(
        agent_id=original.agent_id,
        book=original.book,
        category=original.category,
        amount=-original.amount,
        period=original.period,
        rule=original.rule,
        label=original.label,
        source=original.source,
        key=original.key,
        run=run,
        origin=origin,
        reverses=original,
        created_by=user,
    )
