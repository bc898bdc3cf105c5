"""Flags a person must decide (PIPL Art. 24): publishing a run turns them into proposals of kind
decision; nothing is posted; the one who published may not decide; the agent sees the explanation."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from merit.assessment.models import AgentResult, Run, RunState
from merit.assessment.signals import run_published
from merit.discipline import actions as A
from merit.discipline.models import Kind, Proposal, State
from merit.ledger.models import LedgerEntry
from merit.policies.models import PolicyVersion

FLAG = {
    "flag": "dismissal_review",
    "rule": "after_final",
    "reason": "最后警告观察期内再次违纪 a new offence under an active final warning",
    "source": [{"table": "incidents", "id": "I7"}],
    "human_decision": True,
}


@pytest.fixture
def published(world):
    version = PolicyVersion.objects.create(
        policy_id="custom", version=1, name="t", text="{}", sha256="0" * 64, effective_from=date(2026, 1, 1)
    )
    run = Run.objects.create(
        first_period="2026-03",
        last_period="2026-03",
        policy_version=version,
        state=RunState.PUBLISHED,
        created_by=world.users["hr"],
    )
    for agent_id, flags in (
        ("li", [FLAG, {"flag": "warning", "rule": "x", "reason": "", "source": []}]),
        ("zhao", []),
    ):
        AgentResult.objects.create(
            run=run,
            period="2026-03",
            agent_id=agent_id,
            team_id="T1",
            doc={"agent_id": agent_id, "flags": flags},
        )
    return run


def test_publishing_makes_a_decision_proposal_per_flag_once(world, published, client_for):
    hr, admin = world.users["hr"], world.users["admin"]
    run_published.send(sender=Run, run=published, user=hr)
    run_published.send(sender=Run, run=published, user=hr)  # twice: still one proposal
    [p] = Proposal.objects.all()
    assert (p.kind, p.state, p.agent_id, p.book, p.proposed_by) == (
        Kind.DECISION,
        State.PROPOSED,
        "li",
        "",
        hr,
    )
    # the agent sees it at once, with the engine's explanation
    page = client_for("li").get(f"/discipline/{p.pk}/").content.decode()
    assert "最后警告观察期内再次违纪" in page and 'data-testid="explanation"' in page
    with pytest.raises(PermissionDenied):  # the publisher does not decide their own run's flags
        A.decide(hr, p, "同意", confirm=True)
    with pytest.raises(PermissionDenied):  # nor does a supervisor
        A.decide(world.users["sup1"], p, "同意", confirm=True)
    with pytest.raises(PermissionDenied):  # a decision is not reviewed like a fine
        A.review(admin, p)
    A.decide(admin, p, "情节较轻，给予最后警告期延长，不予辞退", confirm=False)
    p.refresh_from_db()
    assert p.state == State.DECIDED and p.approved_by == admin and p.decision.startswith("不予采纳")
    assert not LedgerEntry.objects.exists()
