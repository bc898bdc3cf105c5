"""A small results document written by hand, runs holding it, and the two teams and users of every role
of the API's tests (merit.api.tests.conftest: T1 li, wang; T2 zhao, sun; sup1, sup2, hr, admin, nobody).

The document covers every kind of entry: a points reset (the old balance lapses, the new allotment
opens), awards and deductions with a free "warning only" occurrence, a money rule's fine (also listed
as a sanction) and reward, a warning ladder's fine (only in the sanctions), a bonus cut, a service fee,
a fine paid with points and the points spent on it, and a team amount shared by the team's agents.
"""

from __future__ import annotations

import copy
from datetime import date

import orjson
import pytest

from merit.api.tests.conftest import World, as_user, build_world  # noqa: F401  (fixtures)
from merit.assessment.models import Run, RunState
from merit.policies.models import PolicyVersion

PERIOD = "2026-03"


def bonus_explain(base: str, adjustments: str, steps: list[str] | None = None) -> dict:
    return {
        "rule": "base × factor × (1 + adjustments%)",
        "inputs": {"base": base, "factor": "1", "adjustments_percent": adjustments},
        "steps": steps or [],
        "formula": {"base": "agent.base_bonus", "factor": None},
    }


def small_doc() -> dict:
    return {
        "policy": {"id": "custom", "name": "ledger_test", "version": 1, "sha256": "0" * 64},
        "periods": [
            {
                "period": PERIOD,
                "agents": [
                    {
                        "agent_id": "li",
                        "team_id": "T1",
                        "state_in": {"points": "28", "cycle": "2026-02"},
                        "points": {
                            "opening": "30.00",
                            "opening_from": "reset",
                            "closing": "31.00",
                            "cycle": PERIOD,
                            "entries": [
                                {
                                    "rule": "attitude_complaint",
                                    "label": "服务态度投诉",
                                    "points": "0.00",
                                    "note": "occurrence 1: warning only",
                                    "source": [{"table": "incidents", "id": "IN1"}],
                                },
                                {
                                    "rule": "attitude_complaint",
                                    "label": "服务态度投诉",
                                    "points": "-2.00",
                                    "source": [{"table": "incidents", "id": "IN2"}],
                                },
                                {
                                    "rule": "few_deductions",
                                    "label": "扣分在2次以内",
                                    "points": "3.00",
                                    "source": [],
                                },
                            ],
                        },
                        "money": {
                            "fines": "50.00",
                            "rewards": "500.00",
                            "entries": [
                                {
                                    "kind": "fine",
                                    "rule": "late_or_early",
                                    "label": "迟到早退",
                                    "amount": "50.00",
                                    "source": [{"table": "attendance", "id": "li/2026-03-02"}],
                                },
                                {
                                    "kind": "reward",
                                    "rule": "csat_95",
                                    "label": "月度满意度≥95%",
                                    "amount": "500.00",
                                    "source": [
                                        {
                                            "table": "ratings",
                                            "metric": "csat",
                                            "period": PERIOD,
                                            "num": "21",
                                            "den": "21",
                                        }
                                    ],
                                },
                            ],
                        },
                        "sanctions": [
                            {
                                "kind": "warning",
                                "fine": "0.00",
                                "reason": "attitude_complaint: occurrence 1 (free)",
                                "source": [{"table": "incidents", "id": "IN1"}],
                            },
                            {
                                "kind": "fine",
                                "fine": "50.00",
                                "reason": "迟到早退",
                                "rule": "late_or_early",
                                "source": [{"table": "attendance", "id": "li/2026-03-02"}],
                            },
                        ],
                        "bonus": "2160.00",
                        "bonus_explain": bonus_explain(
                            "2400.00", "-10", ["points.closing = 23 in [20, 25) → -10%"]
                        ),
                    },
                    {
                        "agent_id": "wang",
                        "team_id": "T1",
                        "state_in": {"points": None, "cycle": None},
                        "points": {
                            "opening": "30.00",
                            "opening_from": "start",
                            "closing": "30.00",
                            "cycle": PERIOD,
                            "entries": [],
                        },
                        "sanctions": [
                            {
                                "kind": "verbal_warning",
                                "fine": "10.00",
                                "on": "2026-03-05",
                                "reason": "迟到或早退",
                                "rule": "verbal_02",
                                "source": [{"table": "attendance", "id": "wang/2026-03-05"}],
                            }
                        ],
                        "bonus": "1000.00",
                        "bonus_explain": bonus_explain("1000.00", "0"),
                    },
                    {
                        "agent_id": "zhao",
                        "team_id": "T2",
                        "points": None,
                        "sanctions": [],
                        "bonus": None,
                        "fee": {
                            "amount": "1600.00",
                            "pay_by": "2026-04-10",
                            "formula": "agent.base_bonus * level.fee_factor",
                            "inputs": {"agent.base_bonus": "2000", "level.fee_factor": "0.8"},
                        },
                    },
                    {
                        "agent_id": "sun",
                        "team_id": "T2",
                        "state_in": {"points": "100", "cycle": "2026"},
                        "points": {
                            "opening": "100.00",
                            "opening_from": "carried",
                            "closing": "94.00",
                            "cycle": "2026",
                            "entries": [
                                {
                                    "rule": "redemption",
                                    "label": "积分兑换",
                                    "points": "-6.00",
                                    "source": [{"table": "redemptions", "id": "RD1"}],
                                }
                            ],
                        },
                        "money": {
                            "fines": "0.00",
                            "rewards": "0.00",
                            "offsets": "6.00",
                            "entries": [
                                {
                                    "kind": "offset",
                                    "rule": "fine_offset",
                                    "label": "积分抵扣罚款",
                                    "amount": "6.00",
                                    "source": [{"table": "redemptions", "id": "RD1"}],
                                }
                            ],
                        },
                        "sanctions": [],
                        "bonus": None,
                    },
                ],
                "teams": [
                    {"team_id": "T1", "rules": []},
                    {
                        "team_id": "T2",
                        "rules": [
                            {
                                "rule": "top_team_of_quarter",
                                "label": "季度满意度最佳团队",
                                "team_amount": "100.01",
                            }
                        ],
                    },
                ],
            }
        ],
        "input_sha256": "1" * 64,
        "engine": {"name": "merit", "version": "test"},
        "output_sha256": "2" * 64,
    }


def agent_of(doc: dict, agent_id: str) -> dict:
    return next(a for a in doc["periods"][0]["agents"] if a["agent_id"] == agent_id)


def corrected_doc() -> dict:
    """The same month after a correction: li's fine doubles, li's reward goes, li's bonus cut grows to
    −20 %, wang gets a new reward; everything else is unchanged."""
    doc = copy.deepcopy(small_doc())
    li = agent_of(doc, "li")
    li["money"]["entries"] = [dict(li["money"]["entries"][0], amount="100.00")]
    li["bonus"] = "1920.00"
    li["bonus_explain"] = bonus_explain("2400.00", "-20", ["points.closing = 19 in [10, 20) → -20%"])
    wang = agent_of(doc, "wang")
    wang["money"] = {
        "fines": "0.00",
        "rewards": "200.00",
        "entries": [
            {
                "kind": "reward",
                "rule": "named_praise",
                "label": "书面表扬",
                "amount": "200.00",
                "source": [{"table": "ratings", "id": "RT9"}],
            }
        ],
    }
    doc["output_sha256"] = "3" * 64
    return doc


def make_run(doc: dict, user, corrects: Run | None = None, state: str = RunState.PUBLISHED) -> Run:
    """A run holding ``doc`` as its stored results (canonical JSON bytes)."""
    version, _ = PolicyVersion.objects.get_or_create(
        policy_id="custom",
        version=1,
        defaults={
            "name": "ledger_test",
            "text": "{}",
            "sha256": "0" * 64,
            "effective_from": date(2026, 1, 1),
        },
    )
    periods = [p["period"] for p in doc["periods"]]
    return Run.objects.create(
        first_period=periods[0],
        last_period=periods[-1],
        policy_version=version,
        input_sha256=doc["input_sha256"],
        corrects=corrects,
        state=state,
        output_sha256=doc["output_sha256"],
        results=orjson.dumps(doc, option=orjson.OPT_SORT_KEYS),
        created_by=user,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def publisher(world):
    return world.users["admin"]
