"""The procedure end to end in actions: four eyes, notices that take effect only when acknowledged or
witnessed, the manager threshold, flags that a person decides, evidence checks, the board's masking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from merit.audit.models import AuditEntry
from merit.discipline import actions as A
from merit.discipline.models import Kind, NoticeState, ProcedureSettings, State
from merit.discipline.views import mask
from merit.inbox.models import Notification
from merit.ledger.models import LedgerEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def money(agent_id="li") -> Decimal:
    return sum(
        LedgerEntry.objects.filter(agent_id=agent_id, book="money").values_list("amount", flat=True),
        Decimal(0),
    )


def fine(world, amount="50", by="sup1", files=()):
    return A.propose(
        world.users[by],
        world.agents["li"],
        "manual:fine",
        amount,
        "2026-03",
        "客户投诉属实",
        "违反服务规范",
        files,
    )


def test_supervisor_proposes_hr_approves_and_the_fine_waits_for_the_agent(world):
    p = fine(world)
    assert p.state == State.PROPOSED and not p.needs_manager  # ¥50 ≤ ¥200
    assert Notification.objects.filter(user=world.users["hr"], kind="proposal.review").count() == 1
    p = A.review(world.users["hr"], p, "事实清楚")
    assert p.state == State.APPROVED
    notice = p.notice
    assert notice.state == NoticeState.ISSUED
    # no acknowledgement yet: nothing in the ledger
    assert money() == 0 and not LedgerEntry.objects.filter(origin=f"notice:{notice.pk}").exists()
    A.acknowledge(world.users["li"], notice)
    notice.refresh_from_db()
    p.refresh_from_db()
    assert (notice.state, p.state) == (NoticeState.ACKNOWLEDGED, State.EFFECTIVE)
    [entry] = LedgerEntry.objects.filter(origin=f"notice:{notice.pk}")
    assert (entry.amount, entry.category, entry.run_id, entry.period) == (
        Decimal("-50.00"),
        "fine",
        None,
        "2026-03",
    )
    with pytest.raises(PermissionDenied):  # a second acknowledgement changes nothing
        A.acknowledge(world.users["li"], notice)
    assert money() == Decimal("-50.00")


def test_the_proposer_can_never_approve_their_own_proposal(world):
    p = fine(world, by="hr", amount="500")  # HR proposes; ¥500 > ¥200 needs a manager
    assert p.needs_manager
    with pytest.raises(PermissionDenied):
        A.review(world.users["hr"], p)
    p = A.review(world.users["admin"], p)  # another reviewer: an admin may review
    assert p.state == State.REVIEWED
    with pytest.raises(PermissionDenied):  # the reviewer may not approve too
        A.approve(world.users["admin"], p)
    with pytest.raises(PermissionDenied):  # nor the proposer
        A.approve(world.users["hr"], p)
    with pytest.raises(PermissionDenied):  # nor a supervisor
        A.review(world.users["sup1"], p)
    assert p.state == State.REVIEWED and money() == 0


def test_above_the_threshold_a_manager_approves_after_hr(world):
    User = type(world.users["admin"])
    from merit.org.models import Membership

    boss = User.objects.create_user("boss")
    Membership.objects.create(user=boss, role="admin")
    p = fine(world, amount="500")
    p = A.review(world.users["hr"], p)
    assert p.state == State.REVIEWED and not hasattr(p, "notice_cache")
    p = A.approve(boss, p, "同意")
    assert p.state == State.APPROVED and p.notice.state == NoticeState.ISSUED
    settings = ProcedureSettings.current()
    settings.manager_amount = Decimal("1000")
    settings.save()
    assert not fine(world, amount="500").needs_manager


def test_a_refused_notice_needs_two_distinct_witnesses(world):
    p = A.review(world.users["hr"], fine(world))
    n = p.notice
    with pytest.raises(PermissionDenied):  # the agent cannot record their own refusal
        A.record_refusal(world.users["li"], n, "x")
    with pytest.raises(PermissionDenied):  # another team's supervisor cannot either
        A.record_refusal(world.users["sup2"], n, "x")
    A.record_refusal(world.users["sup1"], n, "12月3日当面送达，拒绝签字")
    n.refresh_from_db()
    assert n.state == NoticeState.REFUSED
    with pytest.raises(PermissionDenied):  # the one who recorded it is not a witness
        A.witness(world.users["sup1"], n)
    with pytest.raises(PermissionDenied):  # nor is the agent
        A.witness(world.users["li"], n)
    A.witness(world.users["hr"], n, "在场")
    n.refresh_from_db()
    assert n.state == NoticeState.REFUSED and money() == 0  # one witness is not enough
    with pytest.raises(PermissionDenied):  # the same witness twice counts once
        A.witness(world.users["hr"], n)
    A.witness(world.users["admin"], n, "在场")
    n.refresh_from_db()
    assert n.state == NoticeState.WITNESSED and money() == Decimal("-50.00")
    assert AuditEntry.objects.filter(action="discipline.notice.witness").count() == 2


def test_a_reward_takes_effect_on_approval_and_special_contribution_is_capped(world):
    p = A.propose(
        world.users["sup1"],
        world.agents["li"],
        "manual:special_contribution",
        "150",
        "2026-03",
        "协助招聘两名客服",
        "S6 特殊贡献",
    )
    assert p.kind == Kind.REWARD
    A.review(world.users["hr"], p)
    p.refresh_from_db()
    assert p.state == State.EFFECTIVE and money() == Decimal("150.00")
    assert LedgerEntry.objects.get(origin=f"proposal:{p.pk}").category == "reward"
    with pytest.raises(ValidationError, match="0.00 and 500.00"):
        A.propose(
            world.users["sup1"], world.agents["li"], "manual:special_contribution", "501", "2026-03", "x", "y"
        )
    with pytest.raises(ValidationError, match="required"):
        A.propose(
            world.users["sup1"], world.agents["li"], "manual:special_contribution", "100", "2026-03", "x", " "
        )


def test_a_supervisor_proposes_only_for_their_team(world):
    with pytest.raises(PermissionDenied):
        A.propose(world.users["sup2"], world.agents["li"], "manual:fine", "50", "2026-03", "x", "y")
    with pytest.raises(PermissionDenied):
        A.propose(world.users["li"], world.agents["wang"], "manual:fine", "50", "2026-03", "x", "y")


def test_evidence_is_checked_by_its_bytes_and_its_size(world):
    p = fine(world, files=[SimpleUploadedFile("chat.png", PNG), SimpleUploadedFile("order.pdf", PDF)])
    assert sorted(p.evidence.values_list("content_type", flat=True)) == ["application/pdf", "image/png"]
    with pytest.raises(ValidationError, match="not an image"):
        fine(world, files=[SimpleUploadedFile("chat.png", b"<script>alert(1)</script>")])
    settings = ProcedureSettings.current()
    settings.evidence_max_kb = 1
    settings.save()
    with pytest.raises(ValidationError, match="limit is 1 KB"):
        fine(world, files=[SimpleUploadedFile("big.png", PNG + b"\x00" * 2048)])
    assert p.evidence.count() == 2  # what was stored stays


def test_masking_on_the_board(world):
    li = world.agents["li"]
    assert mask(li, "full") == "李明" and mask(li, "surname") == "李*" and mask(li, "id") == "li"


def test_the_proposer_is_not_a_witness_of_the_refusal(world):
    p = A.review(world.users["hr"], fine(world))
    A.record_refusal(world.users["hr"], p.notice, "当面送达，拒绝签字")
    p.notice.refresh_from_db()
    with pytest.raises(PermissionDenied):  # sup1 proposed the fine: four eyes, not two
        A.witness(world.users["sup1"], p.notice)
