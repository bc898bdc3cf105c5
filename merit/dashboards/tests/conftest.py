"""A shop for the dashboards' tests, of any size: teams T1 and T2 share the agents half and half; T1's
first two agents are li and wang, T2's first is zhao (each with an account); sup1 leads T1, sup2 T2; hr
and admin see everyone. October 2026 is published (S6-FD: scores, grades, bonus), November is the month
in progress (provisional results and KPIs). Everything is written in bulk: the same few statements for
30 agents as for 1,000, which the query-count tests rely on."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merit.assessment.models import AgentResult, Run, RunState
from merit.dashboards.models import KpiValue, ProvisionalResult
from merit.facts.models import Benchmark
from merit.ledger.models import LedgerEntry
from merit.org.models import Agent, Membership, Team
from merit.web.tests.conftest import PASSWORD

PUBLISHED, CURRENT = "2026-10", "2026-11"
NOW = "2026-11-16 10:00 +0800"
GRADES = ["A", "A", "B", "B", "B", "B", "C", "C", "C", "D"]  # a team of ten under S6-FD's quotas


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen():
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Shop:
    run: Run
    agents: list[Agent]

    def client(self, who: str) -> Client:
        c = Client()
        c.force_login(get_user_model().objects.get(username=who))
        return c


def _line(item, label, value, points, weight):
    return {
        "item": item,
        "label": label,
        "label_en": item,
        "kind": "bands",
        "value": value,
        "points": points,
        "max": weight,
        "weight": weight,
        "addon": False,
        "explain": {"rule": f"band for {item}", "inputs": {}, "source": []},
    }


def build_shop(n: int = 30) -> Shop:
    from merit.policies.actions import ensure_presets, resolve

    User = get_user_model()
    t1 = Team.objects.create(team_id="T1", name="售前一组")
    t2 = Team.objects.create(team_id="T2", name="售前二组")
    names = {0: ("li", "李明"), 1: ("wang", "王芳"), n // 2: ("zhao", "赵强")}
    agents = []
    for i in range(n):
        agent_id, name = names.get(i, (f"A{i:05d}", f"客服{i:04d}"))
        team = t1 if i < n // 2 else t2
        agents.append(
            Agent(agent_id=agent_id, name=name, team=team, role="pre_sales", base_bonus=Decimal("2000"))
        )
    Agent.objects.bulk_create(agents)
    agents = list(Agent.objects.order_by("pk"))
    users = {}
    for key in ("li", "wang", "zhao", "sup1", "sup2", "hr", "admin"):
        users[key] = User.objects.create_user(key, password=PASSWORD)
    Membership.objects.bulk_create(
        [
            Membership(user=users["li"], role="agent"),
            Membership(user=users["wang"], role="agent"),
            Membership(user=users["zhao"], role="agent"),
            Membership(user=users["sup1"], role="supervisor", team=t1),
            Membership(user=users["sup2"], role="supervisor", team=t2),
            Membership(user=users["hr"], role="hr"),
            Membership(user=users["admin"], role="admin"),
        ]
    )
    for key in ("li", "wang", "zhao"):
        Agent.objects.filter(agent_id=key).update(user=users[key])

    ensure_presets()
    version = resolve("S6-FD", PUBLISHED)
    run = Run.objects.create(
        first_period=PUBLISHED,
        last_period=PUBLISHED,
        policy_version=version,
        state=RunState.PUBLISHED,
        created_by=users["hr"],
        results=b"{}",
        months=[{"period": PUBLISHED, "benchmarks": {}, "teams": []}],
    )
    results, kpis, entries, provisional = [], [], [], []
    for i, a in enumerate(agents):
        place = i % 10
        score = Decimal(95 - place * 3)  # li 95, wang 92, … within each block of ten
        warnings = [{"kind": "warning", "at": "2026-10-03"}] * (2 if a.agent_id == "wang" else 0)
        points = Decimal("22.00") if a.agent_id == "wang" else Decimal("31.00")
        doc = {
            "agent_id": a.agent_id,
            "team_id": a.team.team_id,
            "score": str(score),
            "grade": GRADES[place],
            "bonus": "1500.00",
            "coefficient": "1.00",
            "lines": [
                _line("conversion", "询单转化率", "0.56", "100.00", "35.00"),
                _line("response", "平均响应时间", "27.0", "80.00", "15.00"),
            ],
            "points": {"opening": "30.00", "closing": str(points)},
            "flags": [],
            "level": {"from": None, "to": None},
            "state_out": {"warnings": warnings},
        }
        results.append(
            AgentResult(
                run=run,
                period=PUBLISHED,
                agent=a,
                team_id=a.team.team_id,
                score=score,
                grade=GRADES[place],
                bonus=Decimal("1500.00"),
                doc=doc,
            )
        )
        provisional.append(
            ProvisionalResult(
                period=CURRENT,
                policy_version=version,
                agent=a,
                score=score - 5,
                grade=GRADES[place],
                bonus=Decimal("1400.00"),
                doc={**doc, "score": str(score - 5)},
                computed_at="2026-11-16T01:45:00Z",
            )
        )
        # inquiry conversion: li 30 of 50, wang 10 of 150, everyone else 20 of 100
        num, den = {"li": (30, 50), "wang": (10, 150)}.get(a.agent_id, (20, 100))
        for period in (PUBLISHED, CURRENT):
            kpis.append(
                KpiValue(
                    period=period,
                    agent=a,
                    metric="inquiry_conversion",
                    num=num,
                    den=den,
                    value=Decimal(num) / Decimal(den),
                )
            )
            kpis.append(
                KpiValue(
                    period=period,
                    agent=a,
                    metric="first_response_s",
                    num=20 * 40 + i,
                    den=40,
                    value=Decimal(20 * 40 + i) / 40,
                )
            )
        entries.append(
            LedgerEntry(
                agent=a,
                book="points",
                category="award",
                amount=points,
                period=PUBLISHED,
                rule="r",
                key=f"p{i}",
                run=run,
            )
        )
        entries.append(
            LedgerEntry(
                agent=a,
                book="money",
                category="bonus",
                amount=Decimal("1500.00"),
                period=PUBLISHED,
                rule="b",
                key=f"b{i}",
                run=run,
            )
        )
        if place == 9:
            entries.append(
                LedgerEntry(
                    agent=a,
                    book="money",
                    category="fine",
                    amount=Decimal("-50.00"),
                    period=PUBLISHED,
                    rule="f",
                    key=f"f{i}",
                    run=run,
                )
            )
    AgentResult.objects.bulk_create(results)
    ProvisionalResult.objects.bulk_create(provisional)
    KpiValue.objects.bulk_create(kpis)
    LedgerEntry.objects.bulk_create(entries)
    Benchmark.objects.bulk_create(
        [
            Benchmark(period=CURRENT, metric="inquiry_conversion", value=Decimal("0.25"), batch=0),
            Benchmark(period=CURRENT, metric="first_response_s", value=Decimal("25"), batch=0),
        ]
    )
    return Shop(run=run, agents=agents)


@pytest.fixture
def shop(db) -> Shop:
    return build_shop(30)
