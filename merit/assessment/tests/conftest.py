"""The sample shop (sample_data/shop: 3 teams, 30 agents, January to June 2026) in the database, the
presets stored as policy versions, and one user of every kind.

Users: ``hr`` and ``hr2`` (HR), ``admin`` (an admin role), ``sup1`` (supervisor of T001), ``sup2``
(supervisor of T002), ``a02`` (agent A00002, team T001), ``a11`` (agent A00011, team T002) and
``nobody`` (no role). Runs assess S1 (points and a bonus for every agent) unless a test says otherwise.

On PostgreSQL the facts are read through a connection of their own (merit.facts.io.read_package), which
sees committed rows only: the tests that compute runs commit (``transaction=True``) there, and roll back
on SQLite, where the facts are read through the test's own connection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from merit.assessment import actions
from merit.assessment.models import Run
from merit.engine import tables as T
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.facts.models import FACT_MODELS
from merit.org.models import Agent, Membership, Team
from merit.policies.models import PolicyVersion

SHOP = Path(__file__).resolve().parents[3] / "sample_data" / "shop"
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
# Runs read committed facts on PostgreSQL (see above).
computing = pytest.mark.django_db(transaction=ON_POSTGRES)

MONTH = "2026-03"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEAM_OF = {"sup1": "T001", "sup2": "T002"}
AGENT_OF = {"a02": "A00002", "a11": "A00011"}
ROLES = {
    "hr": "hr",
    "hr2": "hr",
    "admin": "admin",
    "sup1": "supervisor",
    "sup2": "supervisor",
    "a02": "agent",
    "a11": "agent",
}
USERS = [*ROLES, "nobody"]


@dataclass
class Shop:
    users: dict[str, object]

    def version(self, policy_id: str = "S1") -> PolicyVersion:
        return PolicyVersion.objects.filter(policy_id=policy_id).order_by("-version").first()

    def run(self, month: str = MONTH, policy_id: str = "S1", by: str = "hr", **kw) -> Run:
        """Request and compute a run, as the worker would."""
        run = actions.request_run(self.users[by], self.version(policy_id), month, month, enqueue=False, **kw)
        return actions.compute_run(run.pk)

    def publish(self, run: Run, submitter: str = "hr", approver: str = "admin") -> Run:
        actions.submit(run, self.users[submitter])
        actions.approve(run, self.users[approver])
        return actions.publish(run, self.users[approver])


FIRST, LAST = Period.parse("2026-02"), Period.parse("2026-03")  # the months of facts the tests keep


def _within(table: T.Table) -> str:
    """The rows of ``table`` from FIRST through LAST (the others are left out to keep the tests fast)."""
    col = f'"{table.time}"'
    kind = table.column(table.time).type
    if kind == T.TIMESTAMP:
        lo, hi = FIRST.utc_bounds()[0], LAST.shift(1).utc_bounds()[0]
        return f"{col} >= TIMESTAMP '{lo}' AND {col} < TIMESTAMP '{hi}'"
    if kind == T.DATE:
        return f"{col} >= DATE '{FIRST.first_day}' AND {col} < DATE '{LAST.shift(1).first_day}'"
    return f"{col} >= '{FIRST}' AND {col} <= '{LAST}'"


@pytest.fixture(scope="session")
def shop_files():
    """The sample shop's agents and teams, and its facts of February and March 2026."""
    pkg = load_package(SHOP)
    for table in T.TABLES.values():
        if table.time:
            pkg.con.execute(f'DELETE FROM "{table.name}" WHERE NOT ({_within(table)})')
    yield pkg
    pkg.con.close()


def build_shop(pkg) -> Shop:
    from merit.facts.io import write_tables
    from merit.policies.actions import ensure_presets

    with transaction.atomic():
        write_tables(pkg.con, list(T.TABLES), batch=None)  # not an import
    ensure_presets()
    User = get_user_model()
    users = {key: User.objects.create(username=key) for key in USERS}
    for key, role in ROLES.items():
        team = Team.objects.get(team_id=TEAM_OF[key]) if key in TEAM_OF else None
        Membership.objects.create(user=users[key], role=role, team=team)
        if key in AGENT_OF:
            Agent.objects.filter(agent_id=AGENT_OF[key]).update(user=users[key])
    return Shop(users)


def add_complaint(agent_id: str, n: int = 1):
    """An attitude complaint against the agent on 2026-03-20 (S1: points lost after the first)."""
    return FACT_MODELS["incidents"].objects.create(
        incident_id=f"IN-TEST-{agent_id}-{n}",
        agent_id=agent_id,
        at=datetime(2026, 3, 20, 10, n, tzinfo=SHANGHAI),
        kind="complaint.attitude",
        severity="",
        note="测试投诉",
    )


@pytest.fixture
def shop(shop_files) -> Shop:
    return build_shop(shop_files)


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """Threads need a database they can share. PostgreSQL: the test database. SQLite: the in-memory test
    database answers "table is locked" to a second connection instead of waiting, so for this test the
    database is a file (a copy of the migrated test database, WAL and IMMEDIATE transactions as in
    production); the in-memory one is kept open and comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    settings_dict = connection.settings_dict
    memory = settings_dict["NAME"]
    keeper = sqlite3.connect(str(memory), uri=True)  # keeps the in-memory database alive
    target = tmp_path / "merit-test.sqlite3"
    copy = sqlite3.connect(target)
    keeper.backup(copy)
    copy.close()
    settings_dict["NAME"] = str(target)
    connection.close()  # closes now (Django never closes an in-memory database's connection)
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = memory
        connection.ensure_connection()  # holds the in-memory database before the keeper lets go
        keeper.close()
