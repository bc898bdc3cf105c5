"""The optional leave type of attendance rows in the database: read back into the engine's package, and
counted in the input fingerprint only when a row has one (facts of before keep their fingerprint)."""

from __future__ import annotations

from datetime import date

import pytest

from merit.facts.io import read_package
from merit.facts.models import FACT_MODELS
from merit.org.models import Agent, Team

Attendance = FACT_MODELS["attendance"]
# PostgreSQL is read through a connection of its own (ADBC): the rows must be committed
pytestmark = pytest.mark.django_db(transaction=True)


def _read():
    package = read_package(["2026-03"], tables=["attendance"], history_months=0)
    try:
        rows = package.con.execute('SELECT status, leave_type FROM attendance ORDER BY "date"').fetchall()
        return rows, package.input_sha256
    finally:
        package.con.close()


def test_leave_type_is_read_and_counts_in_the_fingerprint_only_when_set():
    team = Team.objects.create(team_id="T1", name="售前一组")
    Agent.objects.create(agent_id="li", name="李雷", team=team, role="pre_sales")
    Attendance.objects.create(agent_id="li", date=date(2026, 3, 2), status="leave")
    Attendance.objects.create(agent_id="li", date=date(2026, 3, 3), status="present")
    rows, before = _read()
    assert rows == [("leave", None), ("present", None)]
    Attendance.objects.filter(date=date(2026, 3, 2)).update(leave_type="marriage")
    rows, after = _read()
    assert rows == [("leave", "marriage"), ("present", None)]
    assert after != before
    Attendance.objects.filter(date=date(2026, 3, 2)).update(leave_type=None)
    assert _read()[1] == before
