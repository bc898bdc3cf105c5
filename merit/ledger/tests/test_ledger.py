"""Posting a published run, correcting it by reversal, the database refusing changes, and balances —
on whichever database the suite runs (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from merit.assessment.models import Run
from merit.audit.models import AuditEntry
from merit.engine.api import assess
from merit.ledger.actions import AlreadyPosted, entries_in_force, post_run
from merit.ledger.models import LedgerEntry
from merit.ledger.posting import entries_from_results
from merit.ledger.queries import balances
from merit.ledger.tests.conftest import agent_of, corrected_doc, make_run, small_doc
from merit.org.models import Agent, Team

pytestmark = pytest.mark.django_db

D = Decimal


def totals(qs) -> dict[tuple[str, str], Decimal]:
    out = defaultdict(Decimal)
    for agent_id, book, amount in qs.values_list("agent_id", "book", "amount"):
        out[agent_id, book] += amount
    return {k: v for k, v in out.items() if v}


def test_publishing_posts_every_entry_with_rule_run_and_source(publisher):
    run = make_run(small_doc(), publisher)
    posted = post_run(run, publisher)
    assert (posted.entries, posted.reversals) == (16, 0)
    assert posted.total == {"money": D("5306.01"), "points": D("27.00")}
    rows = list(LedgerEntry.objects.filter(run=run).order_by("pk"))
    assert len(rows) == 16
    fine = next(e for e in rows if e.agent_id == "li" and e.category == "fine")
    assert (fine.book, fine.amount, fine.rule, fine.period) == (
        "money",
        D("-50.00"),
        "late_or_early",
        "2026-03",
    )
    assert fine.source == [{"table": "attendance", "id": "li/2026-03-02"}]
    assert fine.created_by == publisher and fine.reverses is None
    audit = AuditEntry.objects.get(action="ledger.post")
    assert audit.actor_id == publisher.pk
    assert audit.target_id == str(run.pk)
    assert audit.detail["entries"] == 16 and audit.detail["reversals"] == 0
    assert audit.detail["total"] == {"money": "5306.01", "points": "27.00"}


def test_a_run_is_posted_once(publisher):
    run = make_run(small_doc(), publisher)
    post_run(run, publisher)
    with pytest.raises(AlreadyPosted):
        post_run(run, publisher)
    assert LedgerEntry.objects.filter(run=run).count() == 16


def test_results_naming_an_unknown_agent_post_nothing(publisher):
    doc = small_doc()
    agent_of(doc, "sun")["agent_id"] = "ghost"
    with pytest.raises(ValueError, match="ghost"):
        post_run(make_run(doc, publisher), publisher)
    assert not LedgerEntry.objects.exists()


def test_a_correction_reverses_what_changed_and_posts_the_new_amounts(publisher):
    original = make_run(small_doc(), publisher)
    post_run(original, publisher)
    stored = (bytes(original.results), original.output_sha256)
    before = totals(LedgerEntry.objects.all())

    correction = make_run(corrected_doc(), publisher, corrects=original)
    posted = post_run(correction, publisher)

    reversals = list(
        LedgerEntry.objects.filter(run=correction, reverses__isnull=False).select_related("reverses")
    )
    new = list(LedgerEntry.objects.filter(run=correction, reverses__isnull=True))
    assert (posted.reversals, posted.entries) == (3, 3) == (len(reversals), len(new))
    # each reversal points to exactly one original of the corrected run and negates it
    assert len({r.reverses_id for r in reversals}) == 3
    for r in reversals:
        assert r.reverses.run_id == original.pk
        assert r.amount == -r.reverses.amount
        assert (r.agent_id, r.book, r.category, r.rule) == (
            r.reverses.agent_id,
            r.reverses.book,
            r.reverses.category,
            r.reverses.rule,
        )
    assert sorted((r.agent_id, r.category, r.amount) for r in reversals) == [
        ("li", "bonus_cut", D("240.00")),
        ("li", "fine", D("50.00")),
        ("li", "reward", D("-500.00")),
    ]
    # reversals + new entries = the intended change (new total − old total) per agent and book
    intended = defaultdict(Decimal)
    for d in entries_from_results(corrected_doc()):
        intended[d.agent_id, d.book] += d.amount
    for key, amount in before.items():
        intended[key] -= amount
    intended = {k: v for k, v in intended.items() if v}
    assert intended == {("li", "money"): D("-790.00"), ("wang", "money"): D("200.00")}
    assert totals(LedgerEntry.objects.filter(run=correction)) == intended
    # what is in force now is exactly the correction's entries
    in_force = {(e.key, e.amount) for e in entries_in_force(correction.pk)}
    assert in_force == {(d.key, d.amount) for d in entries_from_results(corrected_doc())}
    # the corrected run is untouched
    original.refresh_from_db()
    assert (bytes(original.results), original.output_sha256) == stored
    assert LedgerEntry.objects.filter(run=original).count() == 16
    assert AuditEntry.objects.filter(action="ledger.post").count() == 2


def test_a_correction_of_a_correction_goes_back_to_the_first_amounts(publisher):
    first = make_run(small_doc(), publisher)
    post_run(first, publisher)
    second = make_run(corrected_doc(), publisher, corrects=first)
    post_run(second, publisher)
    third = make_run(small_doc(), publisher, corrects=second)
    posted = post_run(third, publisher)
    # the second run's 3 new entries and the 3 entries it reversed come back: 3 reversals, 3 new entries
    assert (posted.reversals, posted.entries) == (3, 3)
    assert {e.reverses.run_id for e in LedgerEntry.objects.filter(run=third, reverses__isnull=False)} == {
        second.pk
    }
    assert totals(LedgerEntry.objects.all()) == totals(LedgerEntry.objects.filter(run=first))
    in_force = {(e.key, e.amount) for e in entries_in_force(third.pk)}
    assert in_force == {(d.key, d.amount) for d in entries_from_results(small_doc())}


def test_an_entry_is_reversed_at_most_once(publisher):
    original = make_run(small_doc(), publisher)
    post_run(original, publisher)
    post_run(make_run(corrected_doc(), publisher, corrects=original), publisher)
    reversed_fine = LedgerEntry.objects.get(run=original, agent_id="li", category="fine")
    assert reversed_fine.reversal.amount == D("50.00")
    again = make_run(corrected_doc(), publisher, corrects=original)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            agent_id="li",
            book="money",
            category="fine",
            amount=D("50.00"),
            period="2026-03",
            rule="late_or_early",
            key=reversed_fine.key,
            run=again,
            reverses=reversed_fine,
        )
    assert LedgerEntry.objects.filter(reverses=reversed_fine).count() == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_ledgerentry SET amount = 0 WHERE id = %s",
        "UPDATE ledger_ledgerentry SET agent_id = 'wang' WHERE id = %s",
        "DELETE FROM ledger_ledgerentry WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_ledger_row(publisher, sql):
    post_run(make_run(small_doc(), publisher), publisher)
    entry = LedgerEntry.objects.get(agent_id="li", category="fine")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("-1.00"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert (entry.agent_id, entry.amount) == ("li", D("-50.00"))
    assert LedgerEntry.objects.count() == 16


def test_balances_are_sums_of_entries_in_one_query(publisher, django_assert_num_queries):
    original = make_run(small_doc(), publisher)
    post_run(original, publisher)
    post_run(make_run(corrected_doc(), publisher, corrects=original), publisher)
    with django_assert_num_queries(1):
        rows = balances()
    got = {(r["agent_id"], r["book"]): r["balance"] for r in rows}
    assert got == {
        ("li", "money"): D("1820.00"),  # −100 fine + 2400 bonus − 480 cut
        ("li", "points"): D("3.00"),  # −28 lapsed + 30 + 3 − 2
        ("sun", "money"): D("56.01"),  # 6 offset + 50.01 team share
        ("sun", "points"): D("-6.00"),
        ("wang", "money"): D("1190.00"),  # −10 + 1000 + 200
        ("wang", "points"): D("30.00"),
        ("zhao", "money"): D("1650.00"),
    }
    assert [r["balance"] for r in balances(agent_ids=["li"], book="money")] == [D("1820.00")]
    assert balances(as_of_period="2026-02") == []
    assert len(balances(as_of_period="2026-03")) == 7
    li_money = next(r for r in rows if r["agent_id"] == "li" and r["book"] == "money")
    assert li_money["entries"] == 4 + 3 + 2  # 4 originals, 3 reversals, 2 new


def test_amounts_keep_their_cents_through_the_database(publisher):
    doc = small_doc()
    agent_of(doc, "zhao")["fee"]["amount"] = "0.10"
    agent_of(doc, "sun")["money"]["entries"][0]["amount"] = "0.20"
    post_run(make_run(doc, publisher), publisher)
    fee = LedgerEntry.objects.get(category="fee")
    assert fee.amount == D("0.10") and str(fee.amount) == "0.10"
    rows = {(r["agent_id"], r["book"]): r["balance"] for r in balances(book="money")}
    assert str(rows["zhao", "money"]) == "50.10"
    assert str(rows["sun", "money"]) == "50.21"


def test_runs_are_protected_by_their_entries(publisher):
    run = make_run(small_doc(), publisher)
    post_run(run, publisher)
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.filter(pk=run.pk).delete()


def test_a_correction_of_real_results_changes_exactly_the_corrected_fines(publisher):
    """The sample shop's month under S9, then again with late arrivals fined ¥80 instead of ¥50."""
    shop = Path(__file__).resolve().parents[3] / "sample_data" / "shop"
    before, _ = assess(shop, "S9", "2026-01..2026-03")
    after, _ = assess(shop, "S9", "2026-01..2026-03", {"late_early_fine": "80"})
    for period in before["periods"]:
        for agent in period["agents"]:
            team, _ = Team.objects.get_or_create(
                team_id=agent["team_id"], defaults={"name": agent["team_id"]}
            )
            Agent.objects.get_or_create(
                agent_id=agent["agent_id"],
                defaults={"name": agent["agent_id"], "team": team, "role": "after_sales"},
            )
    original = make_run(before, publisher)
    first = post_run(original, publisher)
    assert first.entries == len(entries_from_results(before)) > 100
    correction = make_run(after, publisher, corrects=original)
    posted = post_run(correction, publisher)

    late = LedgerEntry.objects.filter(run=original, rule="late_or_early")
    assert posted.reversals == late.count() == posted.entries > 0
    assert set(LedgerEntry.objects.filter(run=correction).values_list("rule", flat=True)) == {"late_or_early"}
    assert totals(LedgerEntry.objects.filter(run=correction)) == {
        key: amount * D("0.6")
        for key, amount in totals(late).items()  # each −50 becomes −80: +50 − 80
    }
    expected = defaultdict(Decimal)
    for d in entries_from_results(after):
        expected[d.agent_id, d.book] += d.amount
    got = {(r["agent_id"], r["book"]): r["balance"] for r in balances()}
    assert got == {k: v for k, v in expected.items()}
