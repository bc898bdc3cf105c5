"""Preset S2 (annual 100-point system) over several months, against numbers worked out by hand.

Every expected number below is a literal computed by hand from RULEBOOK.md § S2 and the interpretations
stated in merit/presets/s2_annual_100_points.yaml, never by running the engine:

- 100 points at the start of the year; the balance carries from month to month and resets at the year
  end (January opens at 100 again);
- earn: problem solved (incidents 'praise.solved', severity easy/medium/hard = +2/+5/+10, no severity
  +2), training progress +3 ('training.progress'), good review +5 each (ratings score 5 with source
  'review'), best agent of the month +20 (place 1 only, titled best_agent_of_month);
- deduct: complaint ('complaint.*', severity minor/moderate/serious = −5/−10/−20), error causing loss
  ('error.loss', loss_amount < 100 → −3, [100, 1000) → −6, ≥ 1000 → −10), late / early leave −2 each
  (attendance; absent and leave do not count);
- best agent = place 1 on rank(csat, desc) + rank(tickets handled, desc) (competition ranking), ties by
  good reviews; csat = survey/review ratings scoring 4 or 5 / all survey and review ratings;
- quarter ends (March, June, September, December): closing < 60 → training, < 50 → warning; closing
  < 20 at two consecutive quarter ends → dismissal review (a human decision);
- every month: closing < 30 → 20 % of the month bonus withheld (flag bonus_withheld).

Times are local (Asia/Shanghai) ISO times without a zone.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from merit.engine.api import assess, assess_package
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.state import StateError, state_from_results

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, chained_months, cli_assess, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, chained_months, cli_assess, write_package


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, base_bonus: str = "1000.00") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": "t1",
        "role": "after_sales",
        "employment": "regular",
        "base_bonus": base_bonus,
    }


def _inc(incident_id: str, agent_id: str, when, kind: str, **kw) -> dict:
    return {"incident_id": incident_id, "agent_id": agent_id, "at": when, "kind": kind, **kw}


def _att(agent_id: str, day: date, status: str) -> dict:
    return {"agent_id": agent_id, "date": day, "status": status}


def _rating(rating_id: str, agent_id: str, when, score: str, source: str) -> dict:
    return {"rating_id": rating_id, "agent_id": agent_id, "at": when, "score": score, "source": source}


def _ticket(ticket_id: str, agent_id: str, when) -> dict:
    return {"ticket_id": ticket_id, "agent_id": agent_id, "kind": "inquiry", "created_at": when}


def _baseline(star: str, others: list[str], months: list[tuple[int, int]]) -> tuple[list, list]:
    """Ranking data for every agent in every month, so the best agent is the same obvious one:
    ``star``: 2 survey ratings of 5 (csat 2/2 = 1) and 3 tickets; every other agent: 1 survey rating
    of 3 (csat 0/1 = 0) and 1 ticket. csat ranks: star 1, the others 2 (tied); tickets ranks: star 1,
    the others 2 (tied) → composite star 1 + 1 = 2, the others 2 + 2 = 4 → the star is place 1 (+20)
    and nobody else gets anything. Survey ratings are never good reviews."""
    ratings, tickets = [], []
    for y, m in months:
        tag = f"{y}{m:02d}"
        ratings += [
            _rating(f"r-{tag}-{star}-1", star, at(10, month=m, year=y), "5", "survey"),
            _rating(f"r-{tag}-{star}-2", star, at(11, month=m, year=y), "5", "survey"),
        ]
        tickets += [_ticket(f"t-{tag}-{star}-{i}", star, at(5 + i, month=m, year=y)) for i in (1, 2, 3)]
        for a in others:
            ratings.append(_rating(f"r-{tag}-{a}", a, at(12, month=m, year=y), "3", "survey"))
            tickets.append(_ticket(f"t-{tag}-{a}", a, at(6, month=m, year=y)))
    return ratings, tickets


def rules_package(path):
    """One month (2026-05, not a quarter end), four agents, every earn and deduct rule.

    p1: solved easy +2, medium +5, hard +10, no severity +2 (default); training progress ×2 +6 = +25;
        the hard problem of 04-30 23:30 local is April's: a May run rebuilds April first (the first
        month of facts), where it gives 100 + 10 = 110, May's opening  = 110 + 2 + 5 + 10 + 2 + 6 = 135
    The others open May at April's 100 (April holds no other fact).
    p2: complaints minor −5 (attitude), moderate −10 (rights), serious −20 (other)
        ('praise.named' is no rule of S2)                          = 100 − 5 − 10 − 20         = 65
    p3: loss 99.99 → −3, 100.00 → −6, 999.99 → −6, 1000.00 → −10; an 'error.order' with a loss
        is not 'error.loss'                                        = 100 − 3 − 6 − 6 − 10      = 75
    p4: late ×2, early leave ×1 = −6 (absent, leave, present and a June late do not count);
        good reviews: 3 reviews of 5 → +15 (a review of 4 and a survey of 5 do not count);
        best agent of the month +20                                = 100 − 6 + 15 + 20         = 129

    Ranking: csat (desc): p1 1/1 = 1, p4 5/5 = 1 (reviews 5, 5, 5, 4 and a survey 5 all ≥ 4) → 1, 1;
             p3 1/2 = 0.5 → 3; p2 0/1 = 0 → 4.
             tickets (desc): p2 5 → 1; p1 2, p4 2 → 2, 2; p3 1 → 4.
             composite: p1 1 + 2 = 3, p4 1 + 2 = 3, p2 4 + 1 = 5, p3 3 + 4 = 7.
             p1 and p4 tie on 3: good reviews p4 3 > p1 0 → p4 place 1, p1 place 2, p2 3, p3 4.
    """
    agents = [_agent("p1"), _agent("p2"), _agent("p3"), _agent("p4")]
    m = 5
    incidents = [
        _inc("i01", "p1", at(4, month=m), "praise.solved", severity="easy"),
        _inc("i02", "p1", at(6, month=m), "praise.solved", severity="medium"),
        _inc("i03", "p1", at(8, month=m), "praise.solved", severity="hard"),
        _inc("i04", "p1", at(9, month=m), "praise.solved"),
        _inc("i05", "p1", at(12, month=m), "training.progress"),
        _inc("i06", "p1", at(19, month=m), "training.progress"),
        _inc("i07", "p1", at(30, 23, 30, month=4), "praise.solved", severity="hard"),  # April
        _inc("i08", "p2", at(5, month=m), "complaint.attitude", severity="minor"),
        _inc("i09", "p2", at(7, month=m), "complaint.rights", severity="moderate"),
        _inc("i10", "p2", at(9, month=m), "complaint.other", severity="serious"),
        _inc("i11", "p2", at(10, month=m), "praise.named"),
        _inc("i12", "p3", at(3, month=m), "error.loss", loss_amount="99.99"),
        _inc("i13", "p3", at(4, month=m), "error.loss", loss_amount="100.00"),
        _inc("i14", "p3", at(5, month=m), "error.loss", loss_amount="999.99"),
        _inc("i15", "p3", at(6, month=m), "error.loss", loss_amount="1000.00"),
        _inc("i16", "p3", at(7, month=m), "error.order", loss_amount="5000.00"),
    ]
    attendance = [
        _att("p4", date(2026, 5, 4), "late"),
        _att("p4", date(2026, 5, 5), "late"),
        _att("p4", date(2026, 5, 6), "early_leave"),
        _att("p4", date(2026, 5, 7), "absent"),
        _att("p4", date(2026, 5, 8), "leave"),
        _att("p4", date(2026, 5, 11), "present"),
        _att("p4", date(2026, 6, 1), "late"),  # June
    ]
    ratings = [
        _rating("g1", "p1", at(3, month=m), "5", "survey"),
        _rating("g2", "p2", at(3, month=m), "3", "survey"),
        _rating("g3", "p3", at(3, month=m), "5", "survey"),
        _rating("g4", "p3", at(4, month=m), "3", "survey"),
        _rating("g5", "p4", at(3, month=m), "5", "review"),
        _rating("g6", "p4", at(4, month=m), "5", "review"),
        _rating("g7", "p4", at(5, month=m), "5", "review"),
        _rating("g8", "p4", at(6, month=m), "4", "review"),
        _rating("g9", "p4", at(7, month=m), "5", "survey"),
    ]
    tickets = [
        *[_ticket(f"k-p1-{i}", "p1", at(10 + i, month=m)) for i in range(2)],
        *[_ticket(f"k-p2-{i}", "p2", at(10 + i, month=m)) for i in range(5)],
        _ticket("k-p3-0", "p3", at(10, month=m)),
        *[_ticket(f"k-p4-{i}", "p4", at(10 + i, month=m)) for i in range(2)],
    ]
    return write_package(
        path, agents=agents, incidents=incidents, attendance=attendance, ratings=ratings, tickets=tickets
    )


Q_MONTHS = [(2026, m) for m in range(1, 10)]


def quarters_package(path):
    """Five agents over 2026-01 … 2026-09 (see EXPECTED_Q for the month-by-month balances).

    s1 is the best agent every month (+20, see _baseline); b1 sits on the bonus edge (30, then 29);
    q1 is below 60 at the end of February (no check) and exactly 50 at the end of March; d1 is below 20
    at the ends of March and June; d2 is below 20 at the ends of March and September, not June.
    """
    agents = [_agent(a) for a in ("b1", "d1", "d2", "q1", "s1")]
    incidents = [
        # January
        _inc("b1-01", "b1", at(5, month=1), "complaint.attitude", severity="serious"),
        _inc("b1-02", "b1", at(6, month=1), "complaint.attitude", severity="serious"),
        _inc("b1-03", "b1", at(7, month=1), "complaint.rights", severity="serious"),
        _inc("b1-04", "b1", at(8, month=1), "complaint.other", severity="moderate"),
        *[
            _inc(f"d1-0{i}", "d1", at(5 + i, month=1), "complaint.attitude", severity="serious")
            for i in (1, 2, 3, 4)
        ],
        *[
            _inc(f"d2-0{i}", "d2", at(5 + i, month=1), "complaint.rights", severity="serious")
            for i in (1, 2, 3, 4)
        ],
        _inc("d2-05", "d2", at(20, month=1), "complaint.other", severity="moderate"),
        _inc("q1-01", "q1", at(9, month=1), "complaint.attitude", severity="serious"),
        _inc("q1-02", "q1", at(19, month=1), "complaint.attitude", severity="serious"),
        # February
        _inc("b1-05", "b1", at(10, month=2), "training.progress"),
        _inc("q1-03", "q1", at(11, month=2), "error.loss", loss_amount="500.00"),
        # March
        _inc("b1-06", "b1", at(16, month=3), "praise.solved", severity="easy"),
        # April
        _inc("d2-06", "d2", at(14, month=4), "praise.solved", severity="hard"),
        # July
        _inc("d1-05", "d1", at(8, month=7), "praise.solved", severity="hard"),
        _inc("d2-07", "d2", at(9, month=7), "complaint.attitude", severity="minor"),
    ]
    attendance = [
        _att("b1", date(2026, 2, 3), "late"),
        _att("b1", date(2026, 2, 4), "early_leave"),
        _att("d1", date(2026, 2, 5), "late"),
        _att("q1", date(2026, 2, 6), "late"),
        _att("q1", date(2026, 3, 2), "early_leave"),
        _att("q1", date(2026, 3, 3), "absent"),  # absence is no S2 rule
    ]
    ratings, tickets = _baseline("s1", ["b1", "d1", "d2", "q1"], Q_MONTHS)
    return write_package(
        path, agents=agents, incidents=incidents, attendance=attendance, ratings=ratings, tickets=tickets
    )


R_MONTHS = [(2026, 11), (2026, 12), (2027, 1), (2027, 2)]


def reset_package(path):
    """Three agents over 2026-11 … 2027-02 (the year end in the middle).

    r1: Nov serious complaint −20 → 80; Dec minor complaint −5, late −2 → 73;
        Jan 2027 reset → 100, nothing → 100; Feb carried 100, training +3 → 103.
    r2: Nov nothing → 100; Dec hard problem +10 → 110; Jan reset → 100, medium +5 → 105; Feb → 105.
    s1: best agent every month: Nov 120, Dec 140; Jan reset → 100 + 20 = 120; Feb 140.
    """
    agents = [_agent("r1"), _agent("r2"), _agent("s1")]
    incidents = [
        _inc("r1-01", "r1", at(10, month=11), "complaint.attitude", severity="serious"),
        _inc("r1-02", "r1", at(10, month=12), "complaint.attitude", severity="minor"),
        _inc("r2-01", "r2", at(11, month=12), "praise.solved", severity="hard"),
        _inc("r2-02", "r2", at(12, month=1, year=2027), "praise.solved", severity="medium"),
        _inc("r1-03", "r1", at(13, month=2, year=2027), "training.progress"),
    ]
    attendance = [_att("r1", date(2026, 12, 14), "late")]
    ratings, tickets = _baseline("s1", ["r1", "r2"], R_MONTHS)
    return write_package(
        path, agents=agents, incidents=incidents, attendance=attendance, ratings=ratings, tickets=tickets
    )


# ---- helpers over the results document -----------------------------------------------------------


def _by_period(doc) -> dict[str, dict[str, dict]]:
    return {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in doc["periods"]}


def _only(doc, period: str) -> dict[str, dict]:
    (p,) = doc["periods"]
    assert p["period"] == period
    return {a["agent_id"]: a for a in p["agents"]}


def _ids(x) -> tuple[str, ...]:
    return tuple(s["id"] for s in x.get("source", []) if s.get("table") in ("incidents", "attendance"))


def _ledger(agent) -> list[tuple[str, str, tuple[str, ...]]]:
    """The point entries as (rule, points, incident/attendance ids), order-independent."""
    return sorted((e["rule"], e["points"], _ids(e)) for e in agent["points"]["entries"])


def _entry(agent, rule) -> dict:
    (e,) = [e for e in agent["points"]["entries"] if e["rule"] == rule]
    return e


def _flags(agent) -> list[tuple]:
    return sorted((f["flag"], f["rule"], f["human_decision"]) for f in agent["flags"])


def _balance(agent) -> tuple[str, str, str]:
    p = agent["points"]
    return (p["opening"], p["opening_from"], p["closing"])


def _streak(agent) -> int:
    return agent["state_out"]["streaks"].get("dismissal_review", 0)


TITLE = ("title", "best_agent_of_month", False)
TRAINING = ("training", "quarter_training", False)
WARNING = ("warning", "quarter_warning", False)
WITHHELD = ("bonus_withheld", "bonus_withheld", False)
DISMISSAL = ("dismissal_review", "dismissal_review", True)


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    folder = rules_package(tmp_path_factory.mktemp("s2_rules"))
    doc, _ = assess(folder, "S2", "2026-05")
    return _only(doc, "2026-05")


@pytest.fixture(scope="module")
def qfolder(tmp_path_factory):
    return quarters_package(tmp_path_factory.mktemp("s2_quarters"))


@pytest.fixture(scope="module")
def quarters(qfolder):
    doc, data = assess(qfolder, "S2", "2026-01..2026-09")
    return doc, data


@pytest.fixture(scope="module")
def rfolder(tmp_path_factory):
    return reset_package(tmp_path_factory.mktemp("s2_reset"))


# ---- earn and deduct rules (one month) ------------------------------------------------------------


def test_rules_single_month_carries_the_year_before_it(rules):
    assert sorted(rules) == ["p1", "p2", "p3", "p4"]
    # May alone: the year's balance is rebuilt from the facts before it (the first: i07 of April 30).
    # April: 每年100分, p1 + 10 (i07, hard) = 110, the others 100 (no ratings or tickets: no awards,
    # nobody ranked); May opens from April's closing balance, in the same cycle.
    opening = {a: (x["points"]["opening"], x["points"]["opening_from"]) for a, x in rules.items()}
    assert opening == {
        "p1": ("110.00", "carried"),
        "p2": ("100.00", "carried"),
        "p3": ("100.00", "carried"),
        "p4": ("100.00", "carried"),
    }
    assert {x["points"]["cycle"] for x in rules.values()} == {"2026"}
    closing = {a: x["points"]["closing"] for a, x in rules.items()}
    # see rules_package: May's entries p1 +25, p2 −35, p3 −25, p4 +29 → p1 135, p2 65, p3 75, p4 129
    assert closing == {"p1": "135.00", "p2": "65.00", "p3": "75.00", "p4": "129.00"}


def test_problem_solved_by_difficulty_and_training_progress(rules):
    # easy 2, medium 5, hard 10, no severity → default 2; training +3 each; the April one is left out
    assert _ledger(rules["p1"]) == [
        ("problem_solved", "10.00", ("i03",)),
        ("problem_solved", "2.00", ("i01",)),
        ("problem_solved", "2.00", ("i04",)),
        ("problem_solved", "5.00", ("i02",)),
        ("training_progress", "3.00", ("i05",)),
        ("training_progress", "3.00", ("i06",)),
    ]


def test_complaints_by_severity(rules):
    # minor −5, moderate −10, serious −20, whatever the complaint kind; 'praise.named' is no S2 rule
    assert _ledger(rules["p2"]) == [
        ("complaint", "-10.00", ("i09",)),
        ("complaint", "-20.00", ("i10",)),
        ("complaint", "-5.00", ("i08",)),
    ]


def test_loss_errors_at_the_band_edges(rules):
    # 99.99 < 100 → −3; exactly 100 → −6; 999.99 < 1000 → −6; exactly 1000 → −10; 'error.order' no rule
    assert _ledger(rules["p3"]) == [
        ("loss_error", "-10.00", ("i15",)),
        ("loss_error", "-3.00", ("i12",)),
        ("loss_error", "-6.00", ("i13",)),
        ("loss_error", "-6.00", ("i14",)),
    ]


def test_late_early_leave_good_reviews_and_best_agent(rules):
    # late 05-04, late 05-05, early leave 05-06 → −2 each; absent 05-07 / leave 05-08 / June: nothing;
    # 3 good reviews × 5 = +15; place 1 → +20
    assert _ledger(rules["p4"]) == [
        ("best_agent_of_month", "20.00", ()),
        ("good_reviews", "15.00", ()),
        ("late_or_early", "-2.00", ("p4/2026-05-04",)),
        ("late_or_early", "-2.00", ("p4/2026-05-05",)),
        ("late_or_early", "-2.00", ("p4/2026-05-06",)),
    ]
    e = _entry(rules["p4"], "good_reviews")
    assert (
        Decimal(e["explain"]["inputs"]["good_reviews"]) == 3
    )  # the score-4 review and the survey 5 left out


def test_good_reviews_only_for_review_fives(rules):
    # p1's survey 5 and p3's survey 5 are no good reviews: only p4 has the award
    got = {
        a: [e["points"] for e in x["points"]["entries"] if e["rule"] == "good_reviews"]
        for a, x in rules.items()
    }
    assert got == {"p1": [], "p2": [], "p3": [], "p4": ["15.00"]}


def test_best_agent_place_one_only_with_title(rules):
    # p1 and p4 tie on the composite 1 + 2 = 3; good reviews 3 > 0 → p4 first; only place 1 earns +20
    got = {
        a: [e["points"] for e in x["points"]["entries"] if e["rule"] == "best_agent_of_month"]
        for a, x in rules.items()
    }
    assert got == {"p1": [], "p2": [], "p3": [], "p4": ["20.00"]}
    e = _entry(rules["p4"], "best_agent_of_month")["explain"]
    assert (e["place"], e["of"], e["composite"]) == (1, 4, 3)
    assert e["ranks"] == {"csat": 1, "tickets_handled": 2}
    (title,) = [f for f in rules["p4"]["flags"] if f["flag"] == "title"]
    assert title["title"] == "best_agent_of_month"
    assert title["human_decision"] is False


def test_rules_month_flags_and_bonus(rules):
    # May is no quarter end: p2 65 and p3 75 would not be flagged anyway; nobody is below 30
    assert {a: _flags(x) for a, x in rules.items()} == {"p1": [], "p2": [], "p3": [], "p4": [TITLE]}
    assert {a: x["bonus"] for a, x in rules.items()} == {
        "p1": "1000.00",
        "p2": "1000.00",
        "p3": "1000.00",
        "p4": "1000.00",
    }
    assert rules["p1"]["state_out"]["points"] is not None
    assert Decimal(rules["p1"]["state_out"]["points"]) == 135
    assert rules["p1"]["state_out"]["cycle"] == "2026"


# ---- quarters: carried balances, quarter-end checks, dismissal streak, bonus ----------------------

# period → agent → (opening, opening_from, closing, bonus, flags). Hand computation:
# b1: Jan 100 − 20 − 20 − 20 (serious ×3) − 10 (moderate) = 30 (not < 30: full bonus);
#     Feb 30 + 3 (training) − 2 (late) − 2 (early leave) = 29 (< 30: 1000 × 0.80 = 800, withheld);
#     Mar 29 + 2 (easy) = 31 (quarter end: < 60 training, < 50 warning; 31 ≥ 30 full bonus);
#     then 31 every month; June and September are quarter ends again (training, warning).
# d1: Jan 100 − 20 × 4 = 20 (< 30: 800); Feb 20 − 2 (late) = 18 (no quarter end: only withheld);
#     Mar 18 (quarter end: training, warning, < 20 once → streak 1, no review yet);
#     Apr, May 18 (streak stays 1); Jun 18 (second quarter end in a row < 20 → dismissal review);
#     Jul 18 + 10 (hard) = 28; Aug 28; Sep 28 (not < 20: streak 0; training, warning).
# d2: Jan 100 − 20 × 4 − 10 = 10; Feb, Mar 10 (Mar: streak 1); Apr 10 + 10 (hard) = 20; May 20;
#     Jun 20 (not < 20: streak 0, no review; 20 < 50 training, warning; 20 < 30 withheld);
#     Jul 20 − 5 (minor) = 15; Aug 15; Sep 15 (streak 1 again: no review, the streak was broken).
# q1: Jan 100 − 20 − 20 = 60 (January is no quarter end); Feb 60 − 6 (loss 500) − 2 (late) = 52
#     (< 60 but February is no quarter end: nothing); Mar 52 − 2 (early leave; absent 0) = 50
#     (< 60 training; exactly 50 is not < 50: no warning); then 50 (training at June, September).
# s1: best agent every month (+20): 120, 140, 160, 180, 200, 220, 240, 260, 280.
FULL, CUT = "1000.00", "800.00"
EXPECTED_Q = {
    "2026-01": {
        "b1": ("100.00", "start", "30.00", FULL, []),
        "d1": ("100.00", "start", "20.00", CUT, [WITHHELD]),
        "d2": ("100.00", "start", "10.00", CUT, [WITHHELD]),
        "q1": ("100.00", "start", "60.00", FULL, []),
        "s1": ("100.00", "start", "120.00", FULL, [TITLE]),
    },
    "2026-02": {
        "b1": ("30.00", "carried", "29.00", CUT, [WITHHELD]),
        "d1": ("20.00", "carried", "18.00", CUT, [WITHHELD]),
        "d2": ("10.00", "carried", "10.00", CUT, [WITHHELD]),
        "q1": ("60.00", "carried", "52.00", FULL, []),
        "s1": ("120.00", "carried", "140.00", FULL, [TITLE]),
    },
    "2026-03": {
        "b1": ("29.00", "carried", "31.00", FULL, [TRAINING, WARNING]),
        "d1": ("18.00", "carried", "18.00", CUT, [WITHHELD, TRAINING, WARNING]),
        "d2": ("10.00", "carried", "10.00", CUT, [WITHHELD, TRAINING, WARNING]),
        "q1": ("52.00", "carried", "50.00", FULL, [TRAINING]),
        "s1": ("140.00", "carried", "160.00", FULL, [TITLE]),
    },
    "2026-04": {
        "b1": ("31.00", "carried", "31.00", FULL, []),
        "d1": ("18.00", "carried", "18.00", CUT, [WITHHELD]),
        "d2": ("10.00", "carried", "20.00", CUT, [WITHHELD]),
        "q1": ("50.00", "carried", "50.00", FULL, []),
        "s1": ("160.00", "carried", "180.00", FULL, [TITLE]),
    },
    "2026-05": {
        "b1": ("31.00", "carried", "31.00", FULL, []),
        "d1": ("18.00", "carried", "18.00", CUT, [WITHHELD]),
        "d2": ("20.00", "carried", "20.00", CUT, [WITHHELD]),
        "q1": ("50.00", "carried", "50.00", FULL, []),
        "s1": ("180.00", "carried", "200.00", FULL, [TITLE]),
    },
    "2026-06": {
        "b1": ("31.00", "carried", "31.00", FULL, [TRAINING, WARNING]),
        "d1": ("18.00", "carried", "18.00", CUT, [WITHHELD, DISMISSAL, TRAINING, WARNING]),
        "d2": ("20.00", "carried", "20.00", CUT, [WITHHELD, TRAINING, WARNING]),
        "q1": ("50.00", "carried", "50.00", FULL, [TRAINING]),
        "s1": ("200.00", "carried", "220.00", FULL, [TITLE]),
    },
    "2026-07": {
        "b1": ("31.00", "carried", "31.00", FULL, []),
        "d1": ("18.00", "carried", "28.00", CUT, [WITHHELD]),
        "d2": ("20.00", "carried", "15.00", CUT, [WITHHELD]),
        "q1": ("50.00", "carried", "50.00", FULL, []),
        "s1": ("220.00", "carried", "240.00", FULL, [TITLE]),
    },
    "2026-08": {
        "b1": ("31.00", "carried", "31.00", FULL, []),
        "d1": ("28.00", "carried", "28.00", CUT, [WITHHELD]),
        "d2": ("15.00", "carried", "15.00", CUT, [WITHHELD]),
        "q1": ("50.00", "carried", "50.00", FULL, []),
        "s1": ("240.00", "carried", "260.00", FULL, [TITLE]),
    },
    "2026-09": {
        "b1": ("31.00", "carried", "31.00", FULL, [TRAINING, WARNING]),
        "d1": ("28.00", "carried", "28.00", CUT, [WITHHELD, TRAINING, WARNING]),
        "d2": ("15.00", "carried", "15.00", CUT, [WITHHELD, TRAINING, WARNING]),
        "q1": ("50.00", "carried", "50.00", FULL, [TRAINING]),
        "s1": ("260.00", "carried", "280.00", FULL, [TITLE]),
    },
}


def test_quarters_month_by_month(quarters):
    doc, _ = quarters
    got = _by_period(doc)
    assert list(got) == list(EXPECTED_Q)
    for period, expected in EXPECTED_Q.items():
        actual = {a: (*_balance(x), x["bonus"], _flags(x)) for a, x in got[period].items()}
        want = {a: (o, f, c, b, sorted(fl)) for a, (o, f, c, b, fl) in expected.items()}
        assert actual == want, period


def test_balance_carries_within_the_year(quarters):
    doc, _ = quarters
    periods = doc["periods"]
    for before, after in zip(periods, periods[1:], strict=False):
        closing = {a["agent_id"]: a["points"]["closing"] for a in before["agents"]}
        for a in after["agents"]:
            assert a["points"]["opening"] == closing[a["agent_id"]]  # opening of a month = closing before
            assert a["points"]["opening_from"] == "carried"
            assert a["points"]["cycle"] == "2026"
            assert Decimal(a["state_in"]["points"]) == Decimal(closing[a["agent_id"]])


def test_quarter_end_checks_only_at_quarter_ends(quarters):
    doc, _ = quarters
    checks = {p["period"]: p["checks"] for p in doc["periods"]}
    assert checks["2026-02"] == ["month_end"]
    assert checks["2026-03"] == ["month_end", "quarter_end"]
    assert checks["2026-06"] == ["month_end", "quarter_end"]
    got = _by_period(doc)
    # q1 closes February at 52 (< 60): February is no quarter end, no training flag
    assert got["2026-02"]["q1"]["points"]["closing"] == "52.00"
    assert _flags(got["2026-02"]["q1"]) == []
    # d1 at 18 in February: only the monthly bonus check, no training / warning
    assert _flags(got["2026-02"]["d1"]) == [WITHHELD]
    (w,) = [f for f in got["2026-03"]["q1"]["flags"] if f["flag"] == "training"]
    assert w["explain"]["at"] == "quarter_end"
    assert Decimal(w["explain"]["inputs"]["points.closing"]) == 50


def test_quarter_entries(quarters):
    doc, _ = quarters
    got = _by_period(doc)
    assert _ledger(got["2026-01"]["b1"]) == [
        ("complaint", "-10.00", ("b1-04",)),
        ("complaint", "-20.00", ("b1-01",)),
        ("complaint", "-20.00", ("b1-02",)),
        ("complaint", "-20.00", ("b1-03",)),
    ]
    assert _ledger(got["2026-02"]["b1"]) == [
        ("late_or_early", "-2.00", ("b1/2026-02-03",)),
        ("late_or_early", "-2.00", ("b1/2026-02-04",)),
        ("training_progress", "3.00", ("b1-05",)),
    ]
    assert _ledger(got["2026-02"]["q1"]) == [
        ("late_or_early", "-2.00", ("q1/2026-02-06",)),
        ("loss_error", "-6.00", ("q1-03",)),
    ]
    # March: the early leave counts, the absence does not
    assert _ledger(got["2026-03"]["q1"]) == [("late_or_early", "-2.00", ("q1/2026-03-02",))]
    assert _ledger(got["2026-04"]["d1"]) == []
    for period in EXPECTED_Q:
        e = _entry(got[period]["s1"], "best_agent_of_month")
        assert e["points"] == "20.00"
        assert (e["explain"]["place"], e["explain"]["composite"]) == (1, 2)  # csat 1 + tickets 1
        for a in ("b1", "d1", "d2", "q1"):
            assert not [x for x in got[period][a]["points"]["entries"] if x["rule"] == "best_agent_of_month"]


def test_dismissal_review_after_two_consecutive_quarter_ends(quarters):
    doc, _ = quarters
    got = _by_period(doc)
    # d1: < 20 at the end of March (1) and June (2); the streak survives April and May
    streaks = {p: _streak(got[p]["d1"]) for p in EXPECTED_Q}
    assert streaks == {
        "2026-01": 0,
        "2026-02": 0,
        "2026-03": 1,
        "2026-04": 1,
        "2026-05": 1,
        "2026-06": 2,
        "2026-07": 2,  # no check point in July: unchanged
        "2026-08": 2,
        "2026-09": 0,  # 28 is not < 20
    }
    assert got["2026-04"]["d1"]["state_in"]["streaks"]["dismissal_review"] == 1
    reviews = {p: [f for f in got[p]["d1"]["flags"] if f["flag"] == "dismissal_review"] for p in EXPECTED_Q}
    assert [p for p, fs in reviews.items() if fs] == ["2026-06"]  # June only, not March
    (f,) = reviews["2026-06"]
    assert f["human_decision"] is True
    assert f["explain"]["consecutive"] == {"needed": 2, "held": 2}
    assert Decimal(f["explain"]["inputs"]["points.closing"]) == 18


def test_no_dismissal_review_when_the_streak_is_broken(quarters):
    doc, _ = quarters
    got = _by_period(doc)
    # d2: < 20 at the end of March (10) and September (15), but 20 at the end of June (not < 20)
    streaks = {p: _streak(got[p]["d2"]) for p in EXPECTED_Q}
    assert streaks == {
        "2026-01": 0,
        "2026-02": 0,
        "2026-03": 1,
        "2026-04": 1,
        "2026-05": 1,
        "2026-06": 0,
        "2026-07": 0,
        "2026-08": 0,
        "2026-09": 1,
    }
    for p in EXPECTED_Q:
        assert not [f for f in got[p]["d2"]["flags"] if f["flag"] == "dismissal_review"], p


def test_bonus_withheld_below_30_in_the_month(quarters):
    doc, _ = quarters
    got = _by_period(doc)
    # closing exactly 30 (January): full bonus, no flag
    assert (got["2026-01"]["b1"]["points"]["closing"], got["2026-01"]["b1"]["bonus"]) == ("30.00", "1000.00")
    assert _flags(got["2026-01"]["b1"]) == []
    # closing 29 (February): 1000 × (1 − 20 %) = 800.00 and the flag
    assert (got["2026-02"]["b1"]["points"]["closing"], got["2026-02"]["b1"]["bonus"]) == ("29.00", "800.00")
    assert _flags(got["2026-02"]["b1"]) == [WITHHELD]
    assert Decimal(got["2026-02"]["b1"]["bonus_explain"]["inputs"]["adjustments_percent"]) == -20
    # back to 31 in March: full bonus again
    assert got["2026-03"]["b1"]["bonus"] == "1000.00"
    assert Decimal(got["2026-03"]["b1"]["bonus_explain"]["inputs"]["adjustments_percent"]) == 0


# ---- a range equals month-by-month runs with --state ------------------------------------------------


def _cli_assess(folder, out, period, state=None, policy="S2", extra=()):
    return cli_assess(folder, out, period, policy, state, extra)


def test_range_equals_months_chained_with_state(qfolder, tmp_path):
    _, data = assess(qfolder, "S2", "2026-01..2026-06")
    whole = json.loads(data)
    months = [f"2026-{m:02d}" for m in range(1, 7)]
    chained = chained_months(qfolder, "S2", months, tmp_path)
    for i, p in enumerate(chained):
        assert p == whole["periods"][i], months[i]
    # the chained June names the dismissal review just as the range does
    june = {a["agent_id"]: a for a in p["agents"]}
    assert _flags(june["d1"]) == sorted([WITHHELD, DISMISSAL, TRAINING, WARNING])
    assert june["d1"]["points"]["opening_from"] == "carried"


def test_state_from_results_api_matches_range(qfolder, quarters):
    doc, data = quarters
    whole = json.loads(data)
    lp = load_policy("S2")
    package = load_package(qfolder)
    _, mar = assess_package(package, lp, ["2026-03"])  # March alone: rebuilt from January on
    mar_doc = json.loads(mar)
    ag = {a["agent_id"]: a for a in mar_doc["periods"][0]["agents"]}
    # d1 March alone: February closed at 18, no March events → 18; b1: 29 + 2 (easy) = 31
    assert _balance(ag["d1"]) == ("18.00", "carried", "18.00")
    assert _balance(ag["b1"]) == ("29.00", "carried", "31.00")
    assert mar_doc["periods"][0] == whole["periods"][2]
    # April from the range's first three months
    first3 = {**whole, "periods": whole["periods"][:3]}
    state = state_from_results(first3, lp.sha256, Period.parse("2026-04"))
    _, apr = assess_package(package, lp, ["2026-04"], state)
    assert json.loads(apr)["periods"][0] == whole["periods"][3]


def test_state_from_another_policy_or_month_is_refused(qfolder, tmp_path):
    jan = tmp_path / "jan"
    assert _cli_assess(qfolder, jan, "2026-01") == 0
    state = jan / "results.json"
    # not the month right after January
    out = tmp_path / "mar"
    assert _cli_assess(qfolder, out, "2026-03", state=state) == 2
    assert not (out / "results.json").exists()
    out = tmp_path / "jan_again"
    assert _cli_assess(qfolder, out, "2026-01", state=state) == 2
    assert not (out / "results.json").exists()
    # another policy (S1) as the state of an S2 month
    s1 = tmp_path / "s1"
    assert _cli_assess(qfolder, s1, "2026-01", policy="S1") == 0
    out = tmp_path / "feb_s1"
    assert _cli_assess(qfolder, out, "2026-02", state=s1 / "results.json") == 2
    assert not (out / "results.json").exists()
    # another version of S2 (a parameter changed) is another policy too
    out = tmp_path / "feb_param"
    assert (
        _cli_assess(qfolder, out, "2026-02", state=state, extra=("--param", "bonus_withheld_percent=30")) == 2
    )
    assert not (out / "results.json").exists()
    # the adjacent month of the same policy is accepted
    assert _cli_assess(qfolder, tmp_path / "feb", "2026-02", state=state) == 0
    with pytest.raises(StateError):
        state_from_results(
            json.loads(state.read_text("utf-8")), load_policy("S2").sha256, Period.parse("2026-03")
        )


# ---- the year-end reset -----------------------------------------------------------------------------


def test_year_end_reset_over_a_range(rfolder):
    doc, _ = assess(rfolder, "S2", "2026-11..2027-02")
    got = _by_period(doc)
    assert list(got) == ["2026-11", "2026-12", "2027-01", "2027-02"]
    bal = {p: {a: _balance(x) for a, x in ags.items()} for p, ags in got.items()}
    assert bal == {
        # r1: 100 − 20 (serious); r2: nothing; s1: +20 (best)
        "2026-11": {
            "r1": ("100.00", "start", "80.00"),
            "r2": ("100.00", "start", "100.00"),
            "s1": ("100.00", "start", "120.00"),
        },
        # r1: 80 − 5 (minor) − 2 (late) = 73; r2: 100 + 10 (hard) = 110; s1: 140
        "2026-12": {
            "r1": ("80.00", "carried", "73.00"),
            "r2": ("100.00", "carried", "110.00"),
            "s1": ("120.00", "carried", "140.00"),
        },
        # a new year: everyone opens at 100 again; r2 + 5 (medium) = 105; s1 + 20 = 120
        "2027-01": {
            "r1": ("100.00", "reset", "100.00"),
            "r2": ("100.00", "reset", "105.00"),
            "s1": ("100.00", "reset", "120.00"),
        },
        # r1 + 3 (training) = 103; r2 105; s1 140
        "2027-02": {
            "r1": ("100.00", "carried", "103.00"),
            "r2": ("105.00", "carried", "105.00"),
            "s1": ("120.00", "carried", "140.00"),
        },
    }
    assert {p: got[p]["r1"]["points"]["cycle"] for p in got} == {
        "2026-11": "2026",
        "2026-12": "2026",
        "2027-01": "2027",
        "2027-02": "2027",
    }
    checks = {p["period"]: p["checks"] for p in doc["periods"]}
    assert checks["2026-12"] == ["month_end", "quarter_end", "year_end"]
    # December is a quarter end: 73, 110 and 140 are all ≥ 60, nothing flagged but the title
    assert {a: _flags(x) for a, x in got["2026-12"].items()} == {"r1": [], "r2": [], "s1": [TITLE]}
    # the January state_in still holds December's 73 from 2026; the opening is the reset 100
    assert Decimal(got["2027-01"]["r1"]["state_in"]["points"]) == 73
    assert got["2027-01"]["r1"]["state_in"]["cycle"] == "2026"
    assert got["2027-01"]["r1"]["state_out"]["cycle"] == "2027"
    assert _ledger(got["2026-12"]["r1"]) == [
        ("complaint", "-5.00", ("r1-02",)),
        ("late_or_early", "-2.00", ("r1/2026-12-14",)),
    ]


def test_single_months_carry_the_months_before(rfolder):
    # January 2027 alone: the state is rebuilt from November and December 2026, and the new year
    # resets it: 100 (reset); r1 nothing → 100, r2 + 5 → 105, s1 + 20 → 120
    doc, _ = assess(rfolder, "S2", "2027-01")
    ag = _only(doc, "2027-01")
    assert {a: _balance(x) for a, x in ag.items()} == {
        "r1": ("100.00", "reset", "100.00"),
        "r2": ("100.00", "reset", "105.00"),
        "s1": ("100.00", "reset", "120.00"),
    }
    # December alone: November is carried in: r1 80 − 5 − 2 = 73, as in the range
    doc, _ = assess(rfolder, "S2", "2026-12")
    ag = _only(doc, "2026-12")
    assert _balance(ag["r1"]) == ("80.00", "carried", "73.00")


def test_year_end_reset_through_state(rfolder, tmp_path):
    dec = tmp_path / "dec"
    assert _cli_assess(rfolder, dec, "2026-11..2026-12") == 0
    jan = tmp_path / "jan"
    assert _cli_assess(rfolder, jan, "2027-01", state=dec / "results.json") == 0
    ag = _only(json.loads((jan / "results.json").read_text("utf-8")), "2027-01")
    # December closed r1 at 73; January opens at 100 from the reset, not from the carried 73
    assert {a: _balance(x) for a, x in ag.items()} == {
        "r1": ("100.00", "reset", "100.00"),
        "r2": ("100.00", "reset", "105.00"),
        "s1": ("100.00", "reset", "120.00"),
    }
