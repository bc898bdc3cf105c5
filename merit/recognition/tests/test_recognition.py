"""Excellent employee (S3) and service star (S9): eligibility from the month's facts and ledger, one secret
vote per team member, the top two as candidates, department head → company rating → leader approval,
the reward posted once on publication."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from merit.audit.models import AuditEntry
from merit.discipline import actions as D
from merit.facts.models import FACT_MODELS
from merit.inbox.models import Notification
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, post
from merit.org.models import Agent, Membership
from merit.recognition import actions as A
from merit.recognition.models import Ballot, Selection, SelectionState, VoterReceipt

Attendance = FACT_MODELS["attendance"]
PERIOD = "2026-03"


@pytest.fixture
def team(world):
    """T1 with five more regular agents who have users: a1 … a5 (li is regular, wang on probation)."""
    User = type(world.users["li"])
    t1 = world.teams["T1"]
    for i in range(1, 6):
        u = User.objects.create_user(f"a{i}")
        Membership.objects.create(user=u, role="agent")
        Agent.objects.create(
            agent_id=f"a{i}", name=f"客服{i}", team=t1, role="after_sales", user=u, employment="regular"
        )
    Attendance.objects.filter(date__gte=date(2026, 3, 1), date__lt=date(2026, 4, 1)).delete()
    return t1


def user(name):
    return type(Agent.objects.first().user).objects.get(username=name)


def day(agent_id, n, status="leave", leave_type=None):
    Attendance.objects.create(agent_id=agent_id, date=date(2026, 3, n), status=status, leave_type=leave_type)


def reasons(team):
    return {e.agent.agent_id: e.reasons for e in A.eligibility(team, PERIOD)}


@pytest.mark.parametrize(
    "leave_type, reason",
    [
        ("sick", "病假 sick leave"),
        ("personal", "事假 personal leave"),
        ("maternity", "产假 maternity leave"),
        ("other", "其他请假 other leave"),
        (None, "请假类型未填 leave of unknown type"),
        ("family_visit", None),
        ("marriage", None),
        ("annual", None),
    ],
)
def test_each_leave_type(world, team, leave_type, reason):
    day("a1", 2, leave_type=leave_type)
    assert reasons(team)["a1"] == ((reason,) if reason else ())


@pytest.mark.parametrize(
    "status, reason",
    [
        ("late", "迟到或早退 late or early"),
        ("early_leave", "迟到或早退 late or early"),
        ("absent", "旷工 absent"),
    ],
)
def test_late_early_and_absent_exclude(world, team, status, reason):
    day("a1", 2, status=status)
    day("a1", 3, status=status)
    day("a2", 4, status="present")
    got = reasons(team)
    assert got["a1"] == (reason,) and got["a2"] == ()


def test_probation_fines_and_notices_exclude_only_in_their_month(world, team):
    post([Movement("a5", "money", "fine", Decimal("-10"), PERIOD, "x")], "proposal:1", None)
    post([Movement("a4", "points", "deduction", Decimal("-2"), PERIOD, "x")], "proposal:2", None)
    post([Movement("a3", "money", "fine", Decimal("-10"), "2026-02", "x")], "proposal:3", None)
    p = D.propose(world.users["sup1"], Agent.objects.get(agent_id="a2"), "manual:fine", "0", PERIOD, "f", "r")
    D.review(world.users["hr"], p)
    D.acknowledge(user("a2"), p.notice)  # a notice in effect (posting nothing: amount 0)
    got = reasons(team)
    assert got["wang"] == ("未转正 not regular (probation)",)
    assert got["a5"] == ("本月有违纪扣罚 a fine or deduction this month",)
    assert got["a4"] == ("本月有违纪扣罚 a fine or deduction this month",)
    assert got["a2"] == ("本月有处罚单 a penalty notice this month",)
    assert got["a3"] == got["a1"] == got["li"] == ()  # a fine of February does not count in March
    assert "chen" not in got  # not active


def test_opening_keeps_the_eligibility_of_the_day(world, team):
    day("a2", 4, leave_type="sick")
    sel = A.open_selection(world.users["sup1"], team, "excellent_employee", PERIOD)
    assert sel.eligible == ["a1", "a3", "a4", "a5", "li"]
    assert {"agent_id": "a2", "reasons": ["病假 sick leave"]} in sel.eligibility
    assert sel.amount == Decimal("200.00")
    with pytest.raises(ValidationError, match="already open"):
        A.open_selection(world.users["hr"], team, "excellent_employee", PERIOD)
    with pytest.raises(PermissionDenied):
        A.open_selection(world.users["sup2"], team, "service_star", PERIOD)
    with pytest.raises(PermissionDenied):
        A.open_selection(world.users["li"], team, "service_star", PERIOD)
    with pytest.raises(ValidationError):
        A.open_selection(world.users["hr"], team, "service_star", PERIOD, "-5")
    A.open_selection(world.users["hr"], team, "service_star", PERIOD, "500")  # S9: month's best agent ¥500
    # every team member with a user is told to vote
    assert Notification.objects.filter(kind="recognition.vote", user=user("a1")).count() == 2


def vote_all(sel, votes: dict[str, str]):
    for voter, candidate in votes.items():
        A.vote(user(voter), sel, candidate)


def test_one_vote_per_person_for_an_eligible_colleague(world, team):
    sel = A.open_selection(world.users["sup1"], team, "excellent_employee", PERIOD)
    A.vote(world.users["li"], sel, "a1")
    with pytest.raises(ValidationError, match="already voted"):
        A.vote(world.users["li"], sel, "a2")
    with pytest.raises(ValidationError, match="yourself"):
        A.vote(user("a5"), sel, "a5")
    with pytest.raises(PermissionDenied):  # another team's member
        A.vote(world.users["zhao"], sel, "a1")
    with pytest.raises(PermissionDenied):  # a supervisor is no member of the vote
        A.vote(world.users["sup1"], sel, "a1")
    with pytest.raises(ValidationError, match="eligible"):  # wang (probation) cannot be chosen
        A.vote(user("a5"), sel, "wang")
    A.vote(world.users["wang"], sel, "li")  # … but votes
    assert (
        VoterReceipt.objects.filter(selection=sel).count()
        == Ballot.objects.filter(selection=sel).count()
        == 2
    )
    sel = A.close(world.users["sup1"], sel)
    with pytest.raises(PermissionDenied):  # closed
        A.vote(user("a3"), sel, "a1")


def test_ballots_cannot_be_linked_to_voters(world, team):
    # no voter and no time on a ballot; nothing of the choice on a receipt
    assert {f.name for f in Ballot._meta.fields} == {"id", "selection", "candidate"}
    assert {f.name for f in VoterReceipt._meta.fields} == {"id", "selection", "user"}
    assert Ballot._meta.pk.get_internal_type() == "UUIDField"  # a random key, not a counter
    sel = A.open_selection(world.users["sup1"], team, "excellent_employee", PERIOD)
    vote_all(sel, {"li": "a1", "a1": "li", "a2": "a1"})
    voted = set(Ballot.objects.values_list("pk", flat=True))
    # the audit says who voted, never for whom
    for entry in AuditEntry.objects.filter(action="recognition.vote"):
        assert "a1" not in str(entry.after) + str(entry.detail) + str(entry.before)
    A.close(world.users["sup1"], sel)
    # closing writes the ballots again (random order, new keys): same votes, no old row left
    assert sorted(Ballot.objects.values_list("candidate_id", flat=True)) == ["a1", "a1", "li"]
    assert not voted & set(Ballot.objects.values_list("pk", flat=True))


def test_top_two_become_the_candidates(world, team):
    sel = A.open_selection(world.users["sup1"], team, "excellent_employee", PERIOD)
    with pytest.raises(ValidationError, match="No votes"):
        A.close(world.users["sup1"], sel)
    vote_all(sel, {"li": "a1", "a1": "li", "a2": "a1", "a3": "li", "a4": "a5", "wang": "a1"})
    with pytest.raises(PermissionDenied):
        A.close(world.users["li"], sel)
    sel = A.close(world.users["sup1"], sel)
    assert sel.state == SelectionState.REVIEW
    assert sel.candidates == [{"agent_id": "a1", "votes": 3}, {"agent_id": "li", "votes": 2}]
    assert sel.tally == [*sel.candidates, {"agent_id": "a5", "votes": 1}]


def test_ties_at_second_place_all_become_candidates(world, team):
    sel = A.open_selection(world.users["hr"], team, "service_star", PERIOD)
    vote_all(sel, {"li": "a1", "a1": "li", "a2": "a3", "a3": "a1"})
    sel = A.close(world.users["hr"], sel)
    # a1: 2, then li and a3 tied at 1 → all three
    assert sel.candidates == [
        {"agent_id": "a1", "votes": 2},
        {"agent_id": "a3", "votes": 1},
        {"agent_id": "li", "votes": 1},
    ]
    assert A.top(
        [{"agent_id": "x", "votes": 2}, {"agent_id": "y", "votes": 2}, {"agent_id": "z", "votes": 1}]
    ) == [
        {"agent_id": "x", "votes": 2},
        {"agent_id": "y", "votes": 2},
    ]


def closed(world, team, votes=None) -> Selection:
    sel = A.open_selection(world.users["sup1"], team, "excellent_employee", PERIOD)
    vote_all(sel, votes or {"li": "a1", "a1": "li", "a2": "a1"})
    return A.close(world.users["sup1"], sel)


def test_chain_and_the_reward_posted_exactly_once(world, team):
    sup1, hr, admin = world.users["sup1"], world.users["hr"], world.users["admin"]
    sel = closed(world, team)
    with pytest.raises(PermissionDenied):
        A.review(hr, sel)  # the department head (the team's supervisor) reviews
    with pytest.raises(PermissionDenied):
        A.review(world.users["sup2"], sel)
    with pytest.raises(PermissionDenied):
        A.rate(hr, sel, "a1")  # not before the review
    sel = A.review(sup1, sel, "同意")
    with pytest.raises(ValidationError, match="candidates"):
        A.rate(hr, sel, "a5")
    with pytest.raises(PermissionDenied):
        A.rate(admin, sel, "a1")  # the company rating is HR's
    sel = A.rate(hr, sel, "a1", "服务满意度第一")
    with pytest.raises(PermissionDenied):
        A.approve(hr, sel)
    assert not LedgerEntry.objects.filter(origin=f"recognition:{sel.pk}").exists()
    sel = A.approve(admin, sel, "批准")
    assert sel.state == SelectionState.PUBLISHED
    assert (sel.reviewed_by, sel.rated_by, sel.approved_by) == (sup1, hr, admin)
    assert sel.reviewed_at and sel.rated_at and sel.approved_at and sel.review_note == "同意"
    [entry] = LedgerEntry.objects.filter(origin=f"recognition:{sel.pk}")
    assert (entry.agent_id, entry.amount, entry.book, entry.category, entry.period) == (
        "a1",
        Decimal("200.00"),
        "money",
        "reward",
        PERIOD,
    )
    with pytest.raises(PermissionDenied):  # once
        A.approve(admin, sel)
    stale = Selection.objects.get(pk=sel.pk)
    stale.state, stale.approved_by_id = SelectionState.APPROVAL, None  # read before the first wrote
    with pytest.raises(ValidationError, match="changed meanwhile"):
        A.approve(world.users["admin"], stale)
    assert LedgerEntry.objects.filter(origin=f"recognition:{sel.pk}").count() == 1
    assert Notification.objects.filter(kind="recognition.won", user=user("a1")).count() == 1


def test_the_same_person_takes_no_two_steps(world, team):
    User = type(world.users["hr"])
    both = User.objects.create_user("hr-admin")
    Membership.objects.create(user=both, role="hr")
    sel = A.review(world.users["sup1"], closed(world, team))
    sel = A.rate(both, sel, "a1")
    Membership.objects.filter(user=both).update(role="admin")
    both = User.objects.get(pk=both.pk)  # a fresh scope
    with pytest.raises(PermissionDenied):
        A.approve(both, sel)
    with pytest.raises(PermissionDenied):
        A.reject(both, sel, "x")
    A.approve(world.users["admin"], sel)


def test_a_winner_no_longer_eligible_is_refused_at_the_rating(world, team):
    sel = A.review(world.users["sup1"], closed(world, team))
    post([Movement("a1", "money", "fine", Decimal("-50"), PERIOD, "x")], "proposal:9", None)
    with pytest.raises(ValidationError, match="no longer eligible"):
        A.rate(world.users["hr"], sel, "a1")
    A.rate(world.users["hr"], sel, "li")


def test_rejection_needs_a_reason_and_ends_the_selection(world, team):
    sel = A.review(world.users["sup1"], closed(world, team))
    with pytest.raises(ValidationError, match="reason"):
        A.reject(world.users["hr"], sel, " ")
    sel = A.reject(world.users["hr"], sel, "票数过少")
    assert (sel.state, sel.rejected_by, sel.reject_reason) == ("rejected", world.users["hr"], "票数过少")
    assert sel.rejected_at is not None
    assert Notification.objects.filter(kind="recognition.rejected", user=world.users["sup1"]).exists()
    with pytest.raises(PermissionDenied):
        A.rate(world.users["hr"], sel, "a1")
    assert not LedgerEntry.objects.filter(origin=f"recognition:{sel.pk}").exists()


def test_a_team_without_a_supervisor_cannot_open_a_selection(world, team):
    # nobody could review the vote as department head: refused up front, nothing stored
    Membership.objects.filter(role="supervisor", team=team).delete()
    with pytest.raises(ValidationError, match="no supervisor"):
        A.open_selection(world.users["hr"], team, "excellent_employee", PERIOD)
    assert not Selection.objects.exists()
