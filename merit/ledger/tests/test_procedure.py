"""Entries a procedure posts outside a run: origin set, run empty, reversals at most once, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.audit.models import AuditEntry
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, origin_of, post, reverse

pytestmark = pytest.mark.django_db


def _fine(amount="-50.00") -> Movement:
    return Movement("li", P.MONEY, P.FINE, Decimal(amount), "2026-03", "late", "迟到 late")


def _money(agent_id="li") -> Decimal:
    return sum(
        LedgerEntry.objects.filter(agent_id=agent_id, book=P.MONEY).values_list("amount", flat=True), P.ZERO
    )


def test_a_notice_posts_its_fine_with_its_origin_and_no_run(world):
    hr = world.users["hr"]
    [row] = post([_fine()], origin_of("notice", 7), hr)
    row.refresh_from_db()
    assert (row.run_id, row.origin, row.amount, row.created_by) == (None, "notice:7", Decimal("-50.00"), hr)
    assert AuditEntry.objects.filter(action="ledger.post_procedure").count() == 1
    assert _money() == Decimal("-50.00")


def test_reversal_returns_the_balance_and_happens_once(world):
    hr = world.users["hr"]
    before = _money()
    rows = post(
        [_fine("-200.00"), Movement("li", P.POINTS, P.DEDUCTION, Decimal("-5"), "2026-03", "x")],
        "notice:8",
        hr,
    )
    assert _money() == before - Decimal("200.00")
    back = reverse(rows, origin_of("appeal", 3), hr)
    assert [r.amount for r in back] == [Decimal("200.00"), Decimal("5.00")]
    assert all(r.origin == "appeal:3" and r.reverses_id for r in back)
    assert _money() == before
    with pytest.raises(ValueError, match="already reversed"):
        reverse(rows[:1], "appeal:4", hr)
    assert LedgerEntry.objects.filter(origin="appeal:4").count() == 0


def test_bad_movements_are_refused_and_nothing_is_written(world):
    hr = world.users["hr"]
    with pytest.raises(ValueError, match="category"):
        post([_fine(), Movement("li", P.POINTS, P.FINE, Decimal("-1"), "2026-03", "x")], "notice:9", hr)
    with pytest.raises(ValueError, match="2 decimals"):
        post([_fine("-1.005")], "notice:9", hr)
    with pytest.raises(ValueError, match="origin kind"):
        origin_of("run", 1)
    assert LedgerEntry.objects.filter(origin="notice:9").count() == 0
