"""The web tests' world (merit.web.tests.conftest: T1 li, wang, chen; T2 zhao, sun; sup1, sup2, hr, admin,
nobody) with a published run of March 2026 and its ledger entries, a procedure's fine and a reversal.

Three agents carry names a spreadsheet would evaluate (wang ``=HYPERLINK("x")``, zhao ``＝1+1``, sun
``@SUM(A1)``): every export must write them as text with a leading apostrophe.

The money ledger of March 2026 (what the payroll must add up to):

- li: bonus 2400.00 and a cut of −240.00 (the run), fine −50.00 and reward 200.00 (the run), the fine
  reversed by an appeal (+50.00), a procedure's fine −30.00 (notice:1) → net 2330.00
- wang: bonus 1000.00 → net 1000.00; chen: a result without money → 0.00
- zhao: service fee 1600.00 and half of a team reward of 100.01; sun: the other half → 1700.01 together
- li also has a fine of −20.00 in February (not in March's payroll)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from merit.assessment.actions import agent_rows
from merit.assessment.models import AgentResult, Run, RunState
from merit.ledger import posting as P
from merit.ledger.actions import post_run
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, post, reverse
from merit.ledger.tests.conftest import make_run
from merit.org.models import Agent
from merit.web.tests.conftest import PASSWORD, World, build_world, client_for, world  # noqa: F401  (fixtures)

PERIOD = "2026-03"
EVIL_NAMES = {"wang": '=HYPERLINK("x")', "zhao": "＝1+1", "sun": "@SUM(A1)"}
T1 = {"li", "wang", "chen"}
T2 = {"zhao", "sun"}


def line(item: str, label: str, value: str, points: str, max_: str = "50") -> dict:
    return {"item": item, "label": label, "label_en": item, "value": value, "points": points, "max": max_}


def agent_doc(agent_id, team_id, score, grade, coefficient, bonus, *, base=None, adjust="0", **more) -> dict:
    doc = {
        "agent_id": agent_id,
        "team_id": team_id,
        "score": score,
        "grade": grade,
        "coefficient": coefficient,
        "bonus": bonus,
        "points": {"opening": "30.00", "opening_from": "carried", "closing": "28.00", "entries": []},
        "lines": [
            line("frt", "首次响应时间", "12.5", "45.00"),
            line("csat", "满意度", "0.97", str(Decimal(score) - Decimal("45.00")) if score else "0.00"),
        ],
        "sanctions": [],
        "flags": [],
        "state_in": {},
    }
    if bonus is not None:
        doc["bonus_explain"] = {
            "rule": "base × factor × (1 + adjustments%)",
            "inputs": {"base": base or bonus, "factor": "1", "adjustments_percent": adjust},
            "steps": [],
            "formula": {"base": "agent.base_bonus", "factor": None},
        }
    doc.update(more)
    return doc


def march_doc() -> dict:
    li = agent_doc("li", "T1", "92.50", "A", "1.20", "2160.00", base="2400.00", adjust="-10")
    li["money"] = {
        "entries": [
            {"kind": "fine", "rule": "late", "label": "迟到", "amount": "50.00", "source": []},
            {"kind": "reward", "rule": "praise", "label": "表扬", "amount": "200.00", "source": []},
        ]
    }
    wang = agent_doc("wang", "T1", "80.00", "B", "1.00", "1000.00")
    wang["flags"] = [{"flag": "probation_review", "rule": "probation", "reason": "试用期考核", "source": []}]
    chen = agent_doc("chen", "T1", "70.00", "C", "0.80", None)
    zhao = agent_doc("zhao", "T2", "88.00", "B", "1.10", None)
    zhao["fee"] = {"amount": "1600.00", "formula": "agent.base_bonus * level.fee_factor", "inputs": {}}
    sun = agent_doc("sun", "T2", "60.00", "D", "0.50", None)
    return {
        "policy": {"id": "custom", "name": "reports_test", "version": 1, "sha256": "0" * 64},
        "periods": [
            {
                "period": PERIOD,
                "agents": [li, wang, chen, zhao, sun],
                "teams": [
                    {"team_id": "T1", "rules": []},
                    {
                        "team_id": "T2",
                        "rules": [{"rule": "top_team", "label": "最佳团队", "team_amount": "100.01"}],
                    },
                ],
            }
        ],
        "input_sha256": "1" * 64,
        "engine": {"name": "merit", "version": "test"},
        "output_sha256": "2" * 64,
    }


@dataclass
class Data:
    world: World
    run: Run  # published, March 2026

    def user(self, key):
        return self.world.users[key]


def publish_doc(doc: dict, user, state: str = RunState.PUBLISHED) -> Run:
    run = make_run(doc, user, state=state)
    AgentResult.objects.bulk_create(agent_rows(run, doc))
    if state == RunState.PUBLISHED:
        post_run(run, user)
    return run


def build_data(w: World) -> Data:
    for agent_id, name in EVIL_NAMES.items():
        Agent.objects.filter(agent_id=agent_id).update(name=name)
    hr = w.users["hr"]
    run = publish_doc(march_doc(), w.users["admin"])
    fine = LedgerEntry.objects.get(run=run, agent_id="li", category=P.FINE)
    reverse([fine], "appeal:1", hr)
    post(
        [Movement("li", P.MONEY, P.FINE, Decimal("-30.00"), PERIOD, "manual:fine", "服务规范")],
        "notice:1",
        hr,
    )
    post(
        [Movement("li", P.MONEY, P.FINE, Decimal("-20.00"), "2026-02", "manual:fine", "二月")], "notice:2", hr
    )
    return Data(w, run)


@pytest.fixture
def data(world) -> Data:  # noqa: F811  (the fixture imported above)
    return build_data(world)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run at once when enqueued (the worker's job, in the test's thread)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
