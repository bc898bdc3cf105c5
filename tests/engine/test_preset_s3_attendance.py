"""S3's dismissal-level absences read from attendance (RULEBOOK.md § S3: "dismissal: absent 3+ consecutive
days or 5 days in a year"), worked out by hand.

Interpretation (merit/presets/s3_warning_ladder.yaml): consecutive days are working days of the official
calendar — a weekend or a holiday between two absences does not break the run; a year is the calendar
year. The offence is raised on the day that completes the run (the 3rd working day) or the count (the 5th
day of absence of the year), once; it is a dismissal review (a person decides). Each absent day is also
a written-level offence (written_11), so the ladder's own warnings appear beside it (3 written = 1
final, and an offence under a final warning raises a second review, "new offence … while a final
warning is active"); the assertions below pick the dismissal-level flags of the two new rules.

2026 calendar: Sat 03-07 and Sun 03-08 are days off; Qingming: Sat 04-04 to Mon 04-06 are days off.
"""

from __future__ import annotations

from datetime import date

import pytest

from merit.engine.api import assess_package
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import write_package

RULES = ("dismissal_01_consecutive", "dismissal_01_year")

ABSENT = {
    # Fri, (weekend), Mon, Tue: 3 working days in a row → raised on Tue 03-10
    "w1": [date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10)],
    # Fri 04-03, (Qingming Sat-Mon), Tue 04-07, Wed 04-08 → raised on Wed 04-08
    "h1": [date(2026, 4, 3), date(2026, 4, 7), date(2026, 4, 8)],
    # Mon 03-30, Tue 03-31, Wed 04-01: the run crosses the month end → raised in April, on 04-01
    "x1": [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)],
    # Mon 03-02, Wed 03-04, Fri 03-06: present in between, never 2 in a row → nothing
    "n1": [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6)],
    # 5 single days in 2026: Jan 5, Jan 7, Feb 2, Feb 4, Mar 2 → the 5th of the year, raised on 03-02;
    # a 6th (Mar 4) raises nothing more
    "y1": [
        date(2026, 1, 5),
        date(2026, 1, 7),
        date(2026, 2, 2),
        date(2026, 2, 4),
        date(2026, 3, 2),
        date(2026, 3, 4),
    ],
    # 4 days in 2025 and 1 in 2026: a new year counts from zero → nothing
    "z1": [date(2025, 12, 1), date(2025, 12, 3), date(2025, 12, 5), date(2025, 12, 9), date(2026, 1, 5)],
}
PRESENT = {  # a row per scheduled day between absences of n1 (present), so the data shows the gaps
    "n1": [date(2026, 3, 3), date(2026, 3, 5)],
}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    agents = [
        {"agent_id": a, "name": a, "team_id": "t1", "role": "after_sales", "employment": "regular"}
        for a in ABSENT
    ]
    attendance = [{"agent_id": a, "date": d, "status": "absent"} for a, days in ABSENT.items() for d in days]
    attendance += [
        {"agent_id": a, "date": d, "status": "present"} for a, days in PRESENT.items() for d in days
    ]
    return load_package(
        write_package(tmp_path_factory.mktemp("s3_absent"), agents=agents, attendance=attendance)
    )


def _raised(doc) -> dict[str, list[tuple]]:
    """(period, agent) → the new rules' flags as (rule, flag, on, source)."""
    out = {}
    for p in doc["periods"]:
        for a in p["agents"]:
            got = [
                (f["rule"], f["flag"], f["on"], f["source"][0]["id"], f["human_decision"])
                for f in a["flags"]
                if f["rule"] in RULES and f["reason"].startswith("offence ")
            ]
            if got:
                out[(p["period"], a["agent_id"])] = got
    return out


EXPECTED = {
    ("2026-03", "w1"): [
        ("dismissal_01_consecutive", "dismissal_review", "2026-03-10", "w1/2026-03-10", True)
    ],
    ("2026-03", "y1"): [("dismissal_01_year", "dismissal_review", "2026-03-02", "y1/2026-03-02", True)],
    ("2026-04", "h1"): [
        ("dismissal_01_consecutive", "dismissal_review", "2026-04-08", "h1/2026-04-08", True)
    ],
    ("2026-04", "x1"): [
        ("dismissal_01_consecutive", "dismissal_review", "2026-04-01", "x1/2026-04-01", True)
    ],
}


def test_absences_raise_the_dismissal_review_over_a_range(package):
    doc, _ = assess_package(package, load_policy("S3"), ["2026-01", "2026-02", "2026-03", "2026-04"])
    assert _raised(doc) == EXPECTED


@pytest.mark.parametrize("month", ["2026-03", "2026-04"])
def test_a_month_alone_reads_the_days_before_it(package, month):
    # April alone still sees x1's March 30 and 31, and y1's count starts from January
    doc, _ = assess_package(package, load_policy("S3"), [month])
    assert _raised(doc) == {k: v for k, v in EXPECTED.items() if k[0] == month}


def test_the_rules_are_named_in_the_preset_with_their_rulebook_line():
    offences = {o.id: o for o in load_policy("S3").policy.ladder.offences}
    assert offences["dismissal_01_consecutive"].events.consecutive_workdays == 3
    assert offences["dismissal_01_year"].events.nth_in_year == 5
    assert "连续旷工三天以上" in offences["dismissal_01_consecutive"].rulebook
    assert "一年内累计旷工五天" in offences["dismissal_01_year"].rulebook
