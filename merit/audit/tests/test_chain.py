"""The audit chain: each row hashed with the one before; verify names the first broken link; the
commands' exit codes."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from merit.audit.log import acting_as, canonical, current_actor, record
from merit.audit.models import GENESIS, AuditEntry
from merit.audit.tests.conftest import AUDIT_TABLE, drop_audit_guard, restore_audit_guard, run_sql
from merit.audit.verify import verify
from merit.cli import main

pytestmark = pytest.mark.django_db


def some_rows(n: int) -> list[AuditEntry]:
    return [record(None, "test.write", ("org.agent", str(i)), after={"n": i}) for i in range(1, n + 1)]


def expected_hash(e: AuditEntry) -> str:
    content = canonical(
        {
            "seq": e.seq,
            "at": e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_id": e.actor_id,
            "actor_name": e.actor_name,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "before": e.before,
            "after": e.after,
            "detail": e.detail,
        }
    )
    return hashlib.sha256(e.prev_hash.encode() + content).hexdigest()


def test_each_row_is_hashed_with_the_one_before():
    rows = some_rows(3)
    stored = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS == "0" * 64
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert [e.hash for e in stored] == [expected_hash(e) for e in stored] == [e.hash for e in rows]
    verdict = verify()
    assert (verdict.ok, verdict.count, verdict.last_seq, verdict.last_hash) == (True, 3, 3, stored[-1].hash)


def test_values_are_kept_as_plain_json_with_money_and_times_as_text(world):
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    e = record(
        world.users["hr"],
        "test.write",
        world.agents["li"],
        before={"base_bonus": Decimal("1200.50"), "hired_on": date(2025, 7, 1)},
        after={"base_bonus": Decimal("1300.00"), "changed_at": at, "tags": {"b", "a"}, 3: 1.5},
    )
    stored = AuditEntry.objects.get(seq=e.seq)
    assert stored.before == {"base_bonus": "1200.50", "hired_on": "2025-07-01"}
    assert stored.after == {
        "base_bonus": "1300.00",
        "changed_at": "2026-03-31T23:30:00+00:00",
        "tags": ["a", "b"],
        "3": "1.5",
    }
    assert (stored.target_type, stored.target_id) == ("org.agent", str(world.agents["li"].pk))
    assert (stored.actor_id, stored.actor_name) == (world.users["hr"].pk, "hr")
    assert stored.at.tzinfo is not None and stored.at.utcoffset().total_seconds() == 0
    assert verify().ok


def test_the_actor_name_stays_as_it_was_when_the_user_is_renamed(world):
    hr = world.users["hr"]
    e = record(hr, "test.write")
    hr.username = "hr-renamed"
    hr.save()
    stored = AuditEntry.objects.get(seq=e.seq)
    assert (stored.actor_id, stored.actor_name) == (hr.pk, "hr")
    assert AuditEntry.objects.filter(action="auth.user.update", target_id=str(hr.pk)).get().after == {
        "username": "hr-renamed"
    }
    assert verify().ok


def test_a_rolled_back_write_leaves_no_gap():
    some_rows(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(None, "test.write")
        raise RuntimeError("the write failed")
    e = record(None, "test.write")
    assert e.seq == 3 and verify().ok


def test_acting_as_names_the_actor_of_code_outside_a_request(world):
    assert current_actor() is None
    with acting_as(world.users["hr"]):
        assert current_actor() == world.users["hr"]
        with acting_as(None):
            assert current_actor() is None
    assert current_actor() is None


# ---- tampering, as the database's owner could ------------------------------------------------------


def test_a_row_altered_by_raw_sql_is_named_with_its_seq(capsys):
    some_rows(5)
    drop_audit_guard()
    run_sql(f"UPDATE {AUDIT_TABLE} SET after = '{{\"n\": 300}}' WHERE seq = 3")
    verdict = verify()
    assert (verdict.broken.seq, verdict.broken.kind) == (3, "altered")
    assert (verdict.count, verdict.last_seq) == (2, 2)

    assert main(["verify-audit"]) == 1
    err = capsys.readouterr().err
    assert "BROKEN at seq 3 (altered)" in err
    assert "guard missing" in err and AUDIT_TABLE in err


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link():
    rows = some_rows(5)
    drop_audit_guard()
    e = rows[1]
    e.after = {"n": 200}
    forged = expected_hash(e)
    run_sql(f"UPDATE {AUDIT_TABLE} SET after = '{{\"n\": 200}}', hash = '{forged}' WHERE seq = 2")
    restore_audit_guard()
    broken = verify().broken
    assert (broken.seq, broken.kind) == (3, "link")
    assert "seq 2" in broken.message


def test_a_deleted_row_is_named_as_a_gap():
    some_rows(6)
    drop_audit_guard()
    run_sql(f"DELETE FROM {AUDIT_TABLE} WHERE seq IN (3, 4)")
    restore_audit_guard()
    broken = verify().broken
    assert (broken.seq, broken.kind) == (5, "missing")
    assert "seq 3–4 missing" in broken.message
    with pytest.raises(CommandError, match="not whole") as raised:
        call_command("verify_audit")
    assert raised.value.returncode == 1


def test_a_deleted_first_row_is_named_too():
    some_rows(3)
    drop_audit_guard()
    run_sql(f"DELETE FROM {AUDIT_TABLE} WHERE seq = 1")
    restore_audit_guard()
    broken = verify().broken
    assert (broken.seq, broken.kind) == (2, "missing")


def test_an_anchor_noted_earlier_detects_a_chain_cut_short():
    rows = some_rows(4)
    anchor = (4, rows[-1].hash)
    assert verify(anchor=anchor).ok
    drop_audit_guard()
    run_sql(f"DELETE FROM {AUDIT_TABLE} WHERE seq = 4")  # the tail: the chain itself still looks whole
    restore_audit_guard()
    assert verify().ok
    broken = verify(anchor=anchor).broken
    assert (broken.seq, broken.kind) == (4, "missing")
    assert verify(anchor=(3, "f" * 64)).broken.kind == "anchor"


def test_the_commands_exit_0_with_the_count_and_last_hash(capsys):
    assert main(["verify-audit"]) == 0
    assert "0 entries" in capsys.readouterr().out
    rows = some_rows(3)
    assert main(["verify-audit", "--anchor", f"3:{rows[-1].hash}"]) == 0
    out = capsys.readouterr().out
    assert "3 entries" in out and f"3:{rows[-1].hash}" in out
    call_command("verify_audit")
    assert f"3:{rows[-1].hash}" in capsys.readouterr().out
    assert main(["verify-audit", "--anchor", "three"]) == 2
