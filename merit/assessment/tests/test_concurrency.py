"""Two people approving, or publishing, the same run at the same moment: exactly one wins, the other is
told it lost (Conflict in the actions, 409 in the API). On SQLite (a database file, WAL, IMMEDIATE
transactions) and on PostgreSQL, with real threads and connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from merit.assessment import actions
from merit.assessment.models import Run, RunState
from merit.assessment.tests.conftest import build_shop
from merit.audit.models import AuditEntry
from merit.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*calls):
    """Run the calls in threads released together; each result is "ok", or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def work(i, call):
        try:
            barrier.wait()
            call()
            results[i] = "ok"
        except Exception as e:  # the loser's Conflict, or anything unexpected (the test shows it)
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def audit_count(run: Run, action: str) -> int:
    return AuditEntry.objects.filter(
        target_type="assessment.run", target_id=str(run.pk), action=action
    ).count()


def test_two_approvals_at_once_one_wins_the_other_is_told(file_database, shop_files):
    shop = build_shop(shop_files)
    run = shop.run()
    actions.submit(run, shop.users["hr"])
    hr2, admin = shop.users["hr2"], shop.users["admin"]
    results = at_once(lambda: actions.approve(run.pk, hr2), lambda: actions.approve(run.pk, admin))
    assert results.count("ok") == 1, results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, actions.Conflict) and not isinstance(loser, actions.FourEyes), results
    run.refresh_from_db()
    winner = hr2 if results[0] == "ok" else admin
    assert (run.state, run.approved_by) == (RunState.APPROVED, winner)
    assert "already approved" in loser.text("en") and winner.username in loser.text("en")
    assert audit_count(run, "assessment.run.approve") == 1


def test_two_publications_at_once_post_the_ledger_once(file_database, shop_files):
    shop = build_shop(shop_files)
    run = shop.run()
    actions.submit(run, shop.users["hr"])
    actions.approve(run, shop.users["admin"])
    hr2, admin = shop.users["hr2"], shop.users["admin"]
    results = at_once(lambda: actions.publish(run.pk, hr2), lambda: actions.publish(run.pk, admin))
    assert results.count("ok") == 1, results
    assert isinstance(next(r for r in results if r != "ok"), actions.Conflict), results
    assert Run.objects.get(pk=run.pk).state == RunState.PUBLISHED
    posted = LedgerEntry.objects.filter(run=run)
    assert posted.exists() and posted.count() == posted.values("key").distinct().count()
    assert audit_count(run, "assessment.run.publish") == 1


def test_two_approvals_through_the_api_answer_200_and_409(file_database, shop_files):
    shop = build_shop(shop_files)
    run = shop.run()
    actions.submit(run, shop.users["hr"])
    clients = []
    for key in ("hr2", "admin"):
        client = Client()
        client.force_login(shop.users[key], backend="django.contrib.auth.backends.ModelBackend")
        clients.append(client)
    responses = []

    def approve(client):
        return lambda: responses.append(client.post(f"/api/runs/{run.pk}/approve"))

    at_once(*(approve(c) for c in clients))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.content for r in responses]
    conflict = next(r for r in responses if r.status_code == 409).json()["detail"]
    assert "已是" in conflict and "already approved" in conflict
