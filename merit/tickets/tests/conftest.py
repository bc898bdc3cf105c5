"""The desk's tests use the API's two teams (merit.api.tests.conftest: T1 li, wang; T2 zhao, sun; sup1,
sup2, hr, admin, nobody) and times written in Shanghai wall time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from merit.api.tests.conftest import World, as_user, build_world, world  # noqa: F401  (fixtures)
from merit.assessment.tests.conftest import file_database  # noqa: F401  (fixture)
from merit.tickets import actions
from merit.tickets.models import DeskTeam

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    """``"2026-03-06 17:50"`` in Asia/Shanghai, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def open_for(w, at: str, *, team="T1", priority="high", kind="refund", by="sup1", **kw):
    return actions.open_case(
        team=w.teams[team],
        kind=kind,
        channel="chat",
        priority=priority,
        subject="退款未到账",
        by=w.users[by],
        at=sh(at),
        customer_contact="13812345678",
        **kw,
    )


@pytest.fixture
def desk(world):  # noqa: F811
    """T1 and T2 with the default hours (09:00–12:00, 13:30–18:00) and least-open assignment."""
    for team in world.teams.values():
        DeskTeam.objects.get_or_create(team=team)
    return world
