"""A run's life: computed from the database's facts, submitted, approved by another person, published
once; re-runs that change nothing; corrections by reversal; the state carried from the month before."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import orjson
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from merit.assessment import actions
from merit.assessment.models import AgentResult, Run, RunState
from merit.assessment.tests.conftest import MONTH, add_complaint, computing
from merit.audit.models import AuditEntry
from merit.engine.api import assess_package
from merit.facts.io import read_package
from merit.ledger.models import LedgerEntry
from merit.org.models import Agent
from merit.policies.models import PolicyVersion

pytestmark = computing


def audit_actions(run: Run) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="assessment.run", target_id=str(run.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_a_run_is_computed_from_the_facts_and_published_after_a_second_persons_approval(shop):
    run = shop.run()
    assert run.state == RunState.COMPUTED and run.progress == 100 and run.stage == actions.DONE
    # The stored bytes are results.json: their hash is the output hash, and the engine gives the same
    # document from the same facts.
    doc = orjson.loads(bytes(run.results))
    body = bytes(run.results).split(b',"output_sha256"')[0] + b"}"
    assert hashlib.sha256(body).hexdigest() == run.output_sha256 == doc["output_sha256"]
    package = read_package([MONTH], history_months=1)
    expected, _ = assess_package(package, actions.loaded_policy(run.policy_version), [MONTH])
    package.con.close()
    assert expected["output_sha256"] == run.output_sha256
    assert run.input_sha256 == doc["input_sha256"]
    # One row per agent, holding the agent's part of the document.
    rows = {r.agent_id: r for r in AgentResult.objects.filter(run=run)}
    assert len(rows) == Agent.objects.count() == 30
    first = doc["periods"][0]["agents"][0]
    row = rows[first["agent_id"]]
    assert row.doc == first and row.period == MONTH and row.bonus == Decimal(first["bonus"])

    hr, hr2, admin = shop.users["hr"], shop.users["hr2"], shop.users["admin"]
    actions.submit(run, hr)
    with pytest.raises(actions.FourEyes) as refused:
        actions.approve(run, hr)
    assert "four-eyes" in refused.value.text("en") and "四眼" in refused.value.text("zh-hans")
    assert Run.objects.get(pk=run.pk).state == RunState.SUBMITTED
    with pytest.raises(actions.Conflict):  # nothing to publish before approval
        actions.publish(run, admin)
    approved = actions.approve(run, hr2)
    assert (approved.state, approved.approved_by, approved.submitted_by) == (RunState.APPROVED, hr2, hr)
    published = actions.publish(run, admin)
    assert published.state == RunState.PUBLISHED and published.published_by == admin
    assert LedgerEntry.objects.filter(run=run).exists()
    assert audit_actions(run) == [
        "assessment.run.request",
        "assessment.run.compute",
        "assessment.run.submit",
        "assessment.run.approve",
        "assessment.run.publish",
        "ledger.post",
    ]
    with pytest.raises(actions.Conflict):  # published once
        actions.publish(run, hr2)


def test_a_rejected_run_goes_back_with_its_reason_and_can_be_submitted_again(shop):
    run = shop.run()
    hr, admin = shop.users["hr"], shop.users["admin"]
    actions.submit(run, hr)
    with pytest.raises(ValidationError) as missing:
        actions.reject(run, admin, "   ")
    assert "reason" in missing.value.message_dict
    rejected = actions.reject(run, admin, "三月的人工评分还没录完")
    assert (rejected.state, rejected.reject_reason, rejected.rejected_by) == (
        RunState.REJECTED,
        "三月的人工评分还没录完",
        admin,
    )
    with pytest.raises(actions.Conflict):
        actions.approve(run, admin)
    again = actions.submit(run, admin)
    assert again.state == RunState.SUBMITTED and again.submitted_by == admin
    actions.approve(run, hr)  # the first submitter may approve the second submission
    assert actions.reject(run, hr, "还要再核对").state == RunState.REJECTED  # approved runs too


def test_only_hr_and_admins_request_and_review_runs(shop):
    for key in ("sup1", "a02", "nobody"):
        with pytest.raises(PermissionDenied):
            actions.request_run(shop.users[key], shop.version(), MONTH, enqueue=False)
    run = shop.run()
    for key in ("sup1", "a02"):
        with pytest.raises(PermissionDenied):
            actions.submit(run, shop.users[key])
    assert Run.objects.get(pk=run.pk).state == RunState.COMPUTED


def test_bad_requests_name_the_field(shop):
    hr, version = shop.users["hr"], shop.version()
    with pytest.raises(ValidationError) as e:
        actions.request_run(hr, version, "2026-13", enqueue=False)
    assert "first_period" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        actions.request_run(hr, version, "2026-03", "2026-02", enqueue=False)
    assert "last_period" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        actions.request_run(hr, version, "2025-12", enqueue=False)  # before the version takes effect
    assert "policy_version" in e.value.message_dict
    unpublished = shop.run()
    with pytest.raises(ValidationError) as e:
        actions.request_run(hr, version, MONTH, corrects=unpublished, enqueue=False)
    assert "corrects" in e.value.message_dict
    assert Run.objects.count() == 1


def test_a_month_without_facts_is_refused_and_a_policy_the_engine_refuses_fails_with_its_reason(shop):
    # March 2027 holds no fact row: scoring it would give every agent the score of an empty month
    runs = Run.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.request_run(shop.users["hr"], shop.version(), "2027-03", enqueue=False)
    assert "No facts for 2027-03" in refused.value.message_dict["first_period"][0]
    # a range is refused naming only its empty months; in Chinese too
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="^.*2026-04 没有任何数据"):
        actions.request_run(shop.users["hr"], shop.version(), MONTH, "2026-04", enqueue=False)
    assert Run.objects.count() == runs  # nothing stored
    # A version stored before the engine became stricter (written here straight into the table).
    text = "id: old-rules\nname: old\nversion: 1\ntitle: {zh: 旧方案, en: Old}\nscorecard: {items: []}\nbogus: 1\n"
    broken = PolicyVersion.objects.create(
        policy_id="old-rules",
        version=1,
        name="old",
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        effective_from=date(2026, 1, 1),
    )
    run = actions.request_run(shop.users["hr"], broken, MONTH, enqueue=False)
    run = actions.compute_run(run.pk)
    assert run.state == RunState.FAILED and run.results is None
    assert "bogus" in run.error and "line 6" in run.error
    assert audit_actions(run)[-1] == "assessment.run.fail"
    assert actions.compute_run(run.pk).state == RunState.FAILED  # a finished run is left as it is


def test_asking_again_for_the_same_run_returns_it_and_nothing_is_computed_twice(shop):
    hr, version = shop.users["hr"], shop.version()
    queued = actions.request_run(hr, version, MONTH, enqueue=False)
    assert actions.request_run(shop.users["admin"], version, MONTH, enqueue=False) == queued  # in flight
    run = actions.compute_run(queued.pk)
    assert actions.request_run(hr, version, MONTH, enqueue=False) == run
    actions.submit(run, hr)
    assert actions.request_run(hr, version, MONTH, enqueue=False) == run
    actions.approve(run, shop.users["admin"])
    actions.publish(run, shop.users["admin"])
    assert actions.request_run(hr, version, MONTH, enqueue=False) == run
    assert Run.objects.count() == 1
    assert AgentResult.objects.count() == 30


def test_a_run_found_equal_once_its_facts_are_read_becomes_a_duplicate_without_results(shop):
    hr, version = shop.users["hr"], shop.version()
    first = shop.run()
    incident = add_complaint("A00002")
    second = actions.request_run(hr, version, MONTH, enqueue=False)  # other facts: a new run
    assert second != first
    incident.delete()  # the facts go back before the worker reads them
    second = actions.compute_run(second.pk)
    assert (second.state, second.duplicate_of) == (RunState.DUPLICATE, first)
    assert second.results is None and not AgentResult.objects.filter(run=second).exists()
    assert actions.request_run(hr, version, MONTH, enqueue=False) == first


def test_a_rejected_or_failed_run_does_not_count_as_the_same_run(shop):
    hr, admin, version = shop.users["hr"], shop.users["admin"], shop.version()
    run = shop.run()
    actions.submit(run, hr)
    actions.reject(run, admin, "重算")
    again = actions.request_run(hr, version, MONTH, enqueue=False)
    assert again != run and again.state == RunState.QUEUED
    actions.compute_run(again.pk)
    with pytest.raises(actions.Conflict) as twin:  # the rejected one cannot come back beside it
        actions.submit(run, hr)
    assert f"#{again.pk}" in twin.value.text("en")


def totals(run: Run, agent_id: str) -> dict[str, Decimal]:
    """An agent's points closing balance and bonus of a run."""
    row = AgentResult.objects.get(run=run, agent_id=agent_id, period=MONTH)
    return {"points": Decimal(row.doc["points"]["closing"]), "money": row.bonus or Decimal(0)}


def book_sums(run: Run, agent_id: str) -> dict[str, Decimal]:
    out = {"points": Decimal(0), "money": Decimal(0)}
    for book, amount in LedgerEntry.objects.filter(run=run, agent_id=agent_id).values_list("book", "amount"):
        out[book] += amount
    return out


def test_a_correction_after_publication_posts_reversals_and_leaves_the_published_run_unchanged(shop):
    hr, admin = shop.users["hr"], shop.users["admin"]
    published = shop.publish(shop.run())
    stored, stored_hash = bytes(published.results), published.output_sha256
    stored_rows = {r.agent_id: r.doc for r in AgentResult.objects.filter(run=published)}
    before = totals(published, "A00002")

    for n in range(1, 4):  # three more complaints: the second and later ones cost points
        add_complaint("A00002", n)
    plain = shop.run()  # a plain re-run of a published month cannot be published
    actions.submit(plain, hr)
    actions.approve(plain, admin)
    with pytest.raises(actions.Conflict) as covered:
        actions.publish(plain, hr)
    assert f"#{published.pk}" in covered.value.text("en")
    actions.reject(plain, hr, "应更正已发布的批次")

    correction = shop.run(corrects=published)
    assert correction.corrects == published and correction.state == RunState.COMPUTED
    after = totals(correction, "A00002")
    assert after["points"] < before["points"]  # the intended change
    shop.publish(correction)

    # The correction's rows are reversals of the changed entries and the new ones: per agent and book
    # they add up to exactly the change of the results.
    reversals = LedgerEntry.objects.filter(run=correction, reverses__isnull=False)
    assert reversals.exists()
    assert all(r.reverses.run_id == published.pk and r.amount == -r.reverses.amount for r in reversals)
    change = book_sums(correction, "A00002")
    assert change == {book: after[book] - before[book] for book in ("points", "money")}
    for agent_id in stored_rows.keys() - {"A00002"}:  # nobody else changed
        assert not LedgerEntry.objects.filter(run=correction, agent_id=agent_id).exists()

    published.refresh_from_db()
    assert published.state == RunState.PUBLISHED
    assert bytes(published.results) == stored and published.output_sha256 == stored_hash
    assert {r.agent_id: r.doc for r in AgentResult.objects.filter(run=published)} == stored_rows
    # The corrected run is no longer the one in force: a second correction of it is refused.
    with pytest.raises(ValidationError) as e:
        actions.request_run(hr, shop.version(), MONTH, corrects=published, enqueue=False)
    assert f"#{correction.pk}" in e.value.message_dict["corrects"][0]


def test_a_correction_that_changes_nothing_returns_the_published_run(shop):
    published = shop.publish(shop.run())
    again = actions.request_run(shop.users["hr"], shop.version(), MONTH, corrects=published, enqueue=False)
    assert again == published and Run.objects.count() == 1


def test_the_database_refuses_to_change_a_published_run_or_its_results(shop):
    draft = shop.run()
    with connection.cursor() as cur:  # not published yet: still writable
        cur.execute("UPDATE assessment_run SET stage = 'x' WHERE id = %s", [draft.pk])
    published = shop.publish(draft)
    row = AgentResult.objects.filter(run=published).first()
    statements = [
        ("UPDATE assessment_run SET output_sha256 = 'forged' WHERE id = %s", published.pk),
        ("UPDATE assessment_run SET state = 'computed' WHERE id = %s", published.pk),
        ("DELETE FROM assessment_run WHERE id = %s", published.pk),
        ("UPDATE assessment_agentresult SET bonus = 99999 WHERE id = %s", row.pk),
        ("DELETE FROM assessment_agentresult WHERE id = %s", row.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [pk])
        assert "append-only" in str(refused.value), sql
    published.refresh_from_db()
    assert published.output_sha256 == draft.output_sha256 and published.state == RunState.PUBLISHED


def test_a_month_starts_from_the_closing_state_of_the_published_month_before(shop):
    """S2 keeps a points balance over the year: March starts where the published February ended, and
    gives what a two-month computation gives for March."""
    fresh = shop.run("2026-03", policy_id="S2")
    assert fresh.state_from is None
    february = shop.publish(shop.run("2026-02", policy_id="S2"))
    march = shop.run("2026-03", policy_id="S2")
    assert march != fresh and march.state_from == february  # another starting state: another run
    feb_out = {r.agent_id: r.doc["state_out"] for r in AgentResult.objects.filter(run=february)}
    for r in AgentResult.objects.filter(run=march):
        assert r.doc["state_in"] == feb_out[r.agent_id]
    version = shop.version("S2")
    policy = actions.loaded_policy(version)
    package = read_package(["2026-02", "2026-03"], history_months=1)
    both, _ = assess_package(package, policy, ["2026-02", "2026-03"])
    package.con.close()
    stored = orjson.loads(bytes(march.results))
    assert stored["periods"][0] == orjson.loads(orjson.dumps(both["periods"][1]))
