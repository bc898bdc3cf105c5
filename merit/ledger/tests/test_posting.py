"""From results.json to ledger drafts, the diff of a correction, and splitting an amount: pure functions,
no database. The expected entries are written out by hand from the document in conftest.py."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merit.ledger.posting import diff, entries_from_results, split
from merit.ledger.tests.conftest import PERIOD, agent_of, corrected_doc, small_doc

D = Decimal


def rows(drafts) -> list[tuple]:
    return [(d.agent_id, d.book, d.category, d.rule, d.amount) for d in drafts]


def test_every_kind_of_entry_of_a_small_document():
    drafts = entries_from_results(small_doc())
    assert rows(drafts) == [
        # li: a reset (28 points lapse, 30 open), the free first complaint posts nothing
        ("li", "points", "expiry", "points.reset", D("-28.00")),
        ("li", "points", "opening", "points.opening", D("30.00")),
        ("li", "points", "deduction", "attitude_complaint", D("-2.00")),
        ("li", "points", "award", "few_deductions", D("3.00")),
        # the money rule's fine once (its sanction repeats it), the reward, the bonus and its cut
        ("li", "money", "fine", "late_or_early", D("-50.00")),
        ("li", "money", "reward", "csat_95", D("500.00")),
        ("li", "money", "bonus", "bonus", D("2400.00")),
        ("li", "money", "bonus_cut", "bonus.adjustments", D("-240.00")),
        # wang: a first cycle opens; a warning ladder's fine lives only in the sanctions
        ("wang", "points", "opening", "points.opening", D("30.00")),
        ("wang", "money", "fine", "verbal_02", D("-10.00")),
        ("wang", "money", "bonus", "bonus", D("1000.00")),
        # zhao: the share of the team's 100.01 (sun, zhao in id order: sun takes the odd cent), the fee
        ("zhao", "money", "team_reward", "top_team_of_quarter", D("50.00")),
        ("zhao", "money", "fee", "fee", D("1600.00")),
        # sun: a carried balance posts no opening; points spent, and the fine they paid
        ("sun", "points", "redemption", "redemption", D("-6.00")),
        ("sun", "money", "fine_offset", "fine_offset", D("6.00")),
        ("sun", "money", "team_reward", "top_team_of_quarter", D("50.01")),
    ]
    assert {d.period for d in drafts} == {PERIOD}
    li_fine = drafts[4]
    assert li_fine.source == [{"table": "attendance", "id": "li/2026-03-02"}]
    assert li_fine.label == "迟到早退"
    assert drafts[7].label == "points.closing = 23 in [20, 25) → -10%"
    assert drafts[11].source == [{"table": "teams", "id": "T2"}]
    assert drafts[12].source == [{"table": "agents", "id": "zhao"}]  # the fee reads agent.base_bonus


def test_balances_of_the_drafts_are_what_the_results_say():
    doc = small_doc()
    total = defaultdict(Decimal)
    for d in entries_from_results(doc):
        total[d.agent_id, d.book] += d.amount
    # points: starting from the balance handed on (li 28, sun 100), the book ends at each closing
    assert D("28") + total["li", "points"] == D(agent_of(doc, "li")["points"]["closing"])
    assert total["wang", "points"] == D("30.00")
    assert D("100") + total["sun", "points"] == D("94.00")
    # money: bonus + cut is the bonus paid
    assert total["li", "money"] == D("-50.00") + D("500.00") + D("2160.00")


def test_keys_are_stable_and_distinct():
    first = entries_from_results(small_doc())
    again = entries_from_results(copy.deepcopy(small_doc()))
    assert [d.key for d in first] == [d.key for d in again]
    assert len({d.key for d in first}) == len(first)


def test_a_metric_source_is_matched_by_the_row_it_names_not_by_the_values_read():
    doc = small_doc()
    reward = agent_of(doc, "li")["money"]["entries"][1]
    before = next(d for d in entries_from_results(doc) if d.rule == "csat_95")
    reward["source"][0].update(num="20", den="21")
    after = next(d for d in entries_from_results(doc) if d.rule == "csat_95")
    assert before.key == after.key


def test_the_same_rule_and_source_twice_gets_two_keys():
    doc = small_doc()
    # an offence counted twice (S4: an absence issues two warnings)
    sanction = agent_of(doc, "wang")["sanctions"][0]
    agent_of(doc, "wang")["sanctions"].append(dict(sanction))
    fines = [d for d in entries_from_results(doc) if d.agent_id == "wang" and d.category == "fine"]
    assert [(d.occurrence, d.amount) for d in fines] == [(1, D("-10.00")), (2, D("-10.00"))]
    assert fines[0].key != fines[1].key


def test_a_bonus_raise_a_floor_at_zero_and_a_suspension():
    doc = small_doc()
    li = agent_of(doc, "li")
    li["bonus"], li["bonus_explain"]["inputs"]["adjustments_percent"] = "2568.00", "7"
    bonus = [d for d in entries_from_results(doc) if d.agent_id == "li" and d.category.startswith("bonus")]
    assert rows(bonus) == [
        ("li", "money", "bonus", "bonus", D("2400.00")),
        ("li", "money", "bonus_raise", "bonus.adjustments", D("168.00")),
    ]
    li["bonus"], li["bonus_explain"]["inputs"]["adjustments_percent"] = "0.00", "-130"  # floored at 0
    bonus = [d for d in entries_from_results(doc) if d.agent_id == "li" and d.category.startswith("bonus")]
    assert sum(d.amount for d in bonus) == 0 and len(bonus) == 2
    li["bonus"], li["bonus_explain"] = "0.00", {"note": "suspended this month (停止服务): no bonus"}
    assert not [d for d in entries_from_results(doc) if d.agent_id == "li" and d.category.startswith("bonus")]


# ---- corrections -----------------------------------------------------------------------------------------


def test_diff_keeps_unchanged_entries_and_reverses_changed_and_removed_ones():
    old = entries_from_results(small_doc())
    new = entries_from_results(corrected_doc())
    to_reverse, to_post = diff(old, new)
    assert rows(to_reverse) == [
        ("li", "money", "fine", "late_or_early", D("-50.00")),
        ("li", "money", "reward", "csat_95", D("500.00")),
        ("li", "money", "bonus_cut", "bonus.adjustments", D("-240.00")),
    ]
    assert rows(to_post) == [
        ("li", "money", "fine", "late_or_early", D("-100.00")),
        ("li", "money", "bonus_cut", "bonus.adjustments", D("-480.00")),
        ("wang", "money", "reward", "named_praise", D("200.00")),
    ]
    # reversals (the negated originals) and new entries add up to the intended change
    change = defaultdict(Decimal)
    for d in to_reverse:
        change[d.agent_id, d.book] -= d.amount
    for d in to_post:
        change[d.agent_id, d.book] += d.amount
    assert dict(change) == {("li", "money"): D("-790.00"), ("wang", "money"): D("200.00")}


def test_diff_of_identical_runs_is_empty():
    assert diff(entries_from_results(small_doc()), entries_from_results(small_doc())) == ([], [])


@given(
    old=st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(-500, 500)), max_size=12),
    new=st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(-500, 500)), max_size=12),
)
def test_diff_posts_exactly_the_change(old, new):
    class Row:
        def __init__(self, key, cents):
            self.key, self.amount = key, Decimal(cents) / 100

    old_rows = [Row(k, c) for k, c in dict(old).items()]  # keys are unique within a run
    new_rows = [Row(k, c) for k, c in dict(new).items()]
    to_reverse, to_post = diff(old_rows, new_rows)
    posted = -sum((r.amount for r in to_reverse), D(0)) + sum((r.amount for r in to_post), D(0))
    assert posted == sum((r.amount for r in new_rows), D(0)) - sum((r.amount for r in old_rows), D(0))
    assert len({id(r) for r in to_reverse}) == len(to_reverse)  # each original at most once
    kept = {r.key for r in old_rows} - {r.key for r in to_reverse}
    assert {r.key for r in to_post}.isdisjoint(kept)


# ---- splitting -------------------------------------------------------------------------------------------


def test_split_by_hand():
    assert split(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    assert split(D("0.05"), [1, 1, 1, 1, 1, 1]) == [D("0.01")] * 5 + [D("0.00")]
    assert split(D("-10.00"), [1, 2]) == [D("-3.33"), D("-6.67")]
    assert split(D("10.005"), [1]) == [D("10.01")]  # the total is first rounded half up
    assert split(D("1.00"), [0, 3, 1]) == [D("0.00"), D("0.75"), D("0.25")]
    with pytest.raises(ValueError):
        split(D("1.00"), [0, 0])
    with pytest.raises(ValueError):
        split(D("1.00"), [1, -1])


@given(
    cents=st.integers(-(10**9), 10**9),
    weights=st.lists(st.decimals(0, 10**6, places=3), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_split_adds_up_exactly_and_stays_within_a_cent_of_the_exact_share(cents, weights):
    total = Decimal(cents) / 100
    parts = split(total, weights)
    assert sum(parts, D(0)) == total
    assert all(p == p.quantize(D("0.01")) for p in parts)
    whole = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part - total * w / whole) < D("0.01")
