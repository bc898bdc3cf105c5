"""The dashboards by role: what each sees, what nobody sees of another team, and the figures, checked
against hand computations from the shop of conftest.py."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_agent_sees_their_published_and_provisional_month(shop):
    page = shop.client("li").get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="published-score">95.00<' in html
    assert 'data-testid="provisional-score">90.00<' in html  # November so far, marked provisional
    assert "暂估" in html
    # 15 agents in T1 (30 // 2); li and the agent at place 10 both scored 95, nobody more: 1st of 15
    assert 'data-testid="rank">1 / 15<' in html
    # li's conversion 30/50 = 60.0 %; the team pools its events: (30 + 10 + 13 × 20) / (50 + 150 + 13 × 100)
    # = 300 / 1500 = 20.0 % (the mean of the ratios would be 33.3 %); the industry's benchmark 25 %.
    kpis = re.search(r'data-testid="kpis".*?</table>', html, re.S).group(0)
    conversion = re.search(r"询单转化率.*?</tr>", kpis, re.S).group(0)
    assert re.findall(r">([\d.]+%|—)<", conversion) == ["60.0%", "20.0%", "25.0%"]
    assert "王芳" not in html  # nothing of a colleague


def test_charts_answer_only_within_scope(shop):
    li, sup1, hr = shop.client("li"), shop.client("sup1"), shop.client("hr")
    own = li.get("/dashboard/charts/agent-points/?agent=li").json()
    assert own["points"] == 1 and own["option"]["series"][0]["data"] == [31.0]
    assert li.get("/dashboard/charts/agent-points/?agent=wang").status_code == 404
    assert li.get("/dashboard/charts/team-heat/?team=T2").status_code == 404
    assert sup1.get("/dashboard/charts/team-heat/?team=T2").status_code == 404
    assert sup1.get("/dashboard/charts/agent-score/?agent=zhao").status_code == 404
    assert sup1.get("/dashboard/teams/T2/").status_code == 404
    assert sup1.get("/dashboard/agents/zhao/").status_code == 404
    assert sup1.get("/dashboard/charts/money-by-team/").status_code == 404  # HR's overview only
    heat = sup1.get("/dashboard/charts/team-heat/?team=T1").json()
    rows = heat["option"]["yAxis"]["data"]
    assert len(rows) == 15 and "李明" in rows and "赵强" not in rows
    assert hr.get("/dashboard/charts/team-heat/?team=T2").status_code == 200
    assert hr.get("/dashboard/charts/money-by-team/").status_code == 200
    assert shop.client("zhao").get("/dashboard/agents/li/").status_code == 404


def test_the_supervisor_sees_grades_against_quotas_and_who_is_close(shop):
    page = shop.client("sup1").get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    grades = re.search(r'data-testid="grades".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<td>([A-D])</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", grades)
    # 15 agents: A A B B B B C C C D and A A B B B → A 4, B 7, C 3, D 1. The quotas of 15 by largest
    # remainder: 2.25, 6.75, 4.5, 1.5 → 2, 6, 4, 1 (13), the two left go to B (.75) and C (.5, before D).
    assert rows == [("A", "4", "2"), ("B", "7", "7"), ("C", "3", "5"), ("D", "1", "1")]
    near = re.search(r'data-testid="near".*?</section>', html, re.S).group(0)
    assert "王芳" in near and "22.00" in near  # points under 25, and two warnings in force
    assert "李明" not in near
    grades_chart = shop.client("sup1").get("/dashboard/charts/team-grades/?team=T1").json()
    assert grades_chart["option"]["series"][0]["data"] == [4, 7, 3, 1]
    assert grades_chart["option"]["series"][1]["data"] == [2, 7, 5, 1]


def test_the_overview_adds_up_the_money_ledger_by_team(shop):
    html = shop.client("hr").get("/dashboard/").content.decode()
    teams = re.search(r'data-testid="teams".*?</table>', html, re.S).group(0)
    t1 = re.search(r"售前一组.*?</tr>", teams, re.S).group(0)
    # T1: 15 bonuses of ¥1,500 = ¥22,500; fines: the place-9 agent (one in T1) ¥50
    assert "¥22500.00" in t1 and "¥50.00" in t1
    money = shop.client("hr").get("/dashboard/charts/money-by-team/").json()
    bonus_t1 = next(
        s for s in money["option"]["series"] if s["name"].startswith("售前一组") and s["stack"] == "bonus"
    )
    assert 22500.0 in bonus_t1["data"]


def test_a_user_without_a_role_has_no_dashboard(shop, django_user_model):
    from django.test import Client

    nobody = django_user_model.objects.create_user("nobody")
    c = Client()
    c.force_login(nobody)
    assert c.get("/dashboard/").status_code == 404
    assert c.get("/dashboard/charts/agent-score/?agent=li").status_code == 404


def test_the_heat_map_colours_by_place_not_by_the_value_shown(shop):
    heat = shop.client("sup1").get("/dashboard/charts/team-heat/?team=T1").json()
    option = heat["option"]
    assert option["visualMap"]["dimension"] == 2  # [kpi, agent, place 0–100, value as shown]
    places = [cell[2] for cell in option["series"][0]["data"]]
    assert min(places) == 0 and max(places) == 100
