"""What the pages show: this month's counts by role, the people filters, htmx partials, shifts, the admin
pages, and query counts that do not grow with the number of agents."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from merit.ingest.models import Import
from merit.org.models import Agent, Shift
from merit.web.queries import month_bounds
from merit.web.tests.conftest import PASSWORD, add_facts

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cells(page: str, row_attr: str, key: str) -> list[str]:
    """The text of the numeric cells of the row marked ``row_attr="key"``."""
    row = re.search(rf'<tr {row_attr}="{key}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num">(\d+)</td>', row)


def tiles(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)"><span class="n">(\d+)<', page)}


def test_month_bounds_are_the_calendar_month_in_shanghai():
    start, end = month_bounds(datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")))  # 2027-01-01 00:30 +8
    assert (start, end) == (datetime(2027, 1, 1, tzinfo=SHANGHAI), datetime(2027, 2, 1, tzinfo=SHANGHAI))
    start, end = month_bounds(datetime(2026, 3, 15, 12, tzinfo=SHANGHAI))
    assert (start, end) == (datetime(2026, 3, 1, tzinfo=SHANGHAI), datetime(2026, 4, 1, tzinfo=SHANGHAI))


def test_an_agent_sees_their_own_month(client_for):
    add_facts()
    page = client_for("li").get("/").content.decode()
    assert tiles(page) == {"chats": 2, "tickets": 1, "ratings": 1}  # last month's chat is not counted
    assert "李明" in page and "售后一组" in page and "P2" in page
    assert "早班" in page and "08:00–17:00" in page
    assert "赵强" not in page


def test_a_supervisor_sees_the_teams_month(client_for):
    add_facts()
    page = client_for("sup1").get("/").content.decode()
    assert cells(page, "data-agent-id", "li") == ["2", "1", "1"]
    assert cells(page, "data-agent-id", "wang") == ["0", "0", "0"]
    totals = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    assert re.findall(r'<th class="num">(\d+)</th>', totals) == ["2", "1", "1"]
    assert "zhao" not in page


def test_hr_sees_every_team(client_for):
    add_facts()
    page = client_for("hr").get("/").content.decode()
    # active agents, left, supervisors, chats, tickets, ratings
    assert cells(page, "data-team-id", "T1") == ["2", "1", "1", "2", "1", "1"]
    assert cells(page, "data-team-id", "T2") == ["2", "0", "1", "3", "0", "0"]


def test_latest_imports_on_home(client_for, world):
    """HR sees every import, a supervisor their own uploads (merit.ingest decides), each linked to its report."""
    by_hr = Import.objects.create(
        created_by=world.user("hr"),
        source_name="2026-03 店铺导出.zip",
        file_sha256="a" * 64,
        state="succeeded",
    )
    by_sup1 = Import.objects.create(
        created_by=world.user("sup1"), source_name="一组考勤.xlsx", file_sha256="b" * 64, state="failed"
    )
    client = client_for("hr")
    page = client.get("/").content.decode()
    assert f'href="/imports/{by_hr.pk}/">2026-03 店铺导出.zip' in page and "一组考勤.xlsx" in page
    client.logout()
    page = client_for("sup1").get("/").content.decode()
    assert f'href="/imports/{by_sup1.pk}/">一组考勤.xlsx' in page and "店铺导出" not in page
    client.logout()
    assert "一组考勤" not in client_for("li").get("/").content.decode()


def test_the_menu_follows_the_role(client_for, world):
    def menu(who):
        client = client_for(who)
        page = client.get("/").content.decode()
        client.logout()
        nav = re.search(r'<nav class="menu".*?</nav>', page, re.S).group(0)
        return re.findall(r">([^<]+)</a>", nav)

    # the pages of every day first, then those under "More" (更多)
    assert menu("li") == [
        "首页",
        "看板",
        "人员",
        "我的考核",
        "台账",
        "售后工单",
        "奖惩",
        "我的档案",
        "通知",
        "考核方案",
        "积分商城",
        "评优",
    ]
    # supervisors import their team's data
    assert menu("sup1") == [
        "首页",
        "看板",
        "人员",
        "考核批次",
        "台账",
        "售后工单",
        "奖惩",
        "通知",
        "导入",
        "考核方案",
        "积分商城",
        "评优",
        "报表",
    ]
    hr = [
        "首页",
        "看板",
        "人员",
        "考核批次",
        "台账",
        "售后工单",
        "奖惩",
        "通知",
        "导入",
        "考核方案",
        "积分商城",
        "评优",
        "报表",
        "API 文档",
    ]
    assert menu("hr") == hr
    # staff without a single model permission would find nothing in the admin pages: no entry
    assert menu("admin") == hr
    from django.contrib.auth.models import Permission

    world.user("admin").user_permissions.add(Permission.objects.get(codename="view_team"))
    assert menu("admin") == [*hr, "管理后台"]  # staff who may see something there
    assert menu("nobody") == ["首页", "通知"]


def test_people_filters(client_for):
    client = client_for("hr")

    def ids(query):
        return re.findall(r'<tr data-agent-id="([^"]+)"', client.get("/people/" + query).content.decode())

    assert ids("") == ["li", "sun", "wang", "zhao"]  # active people, by id
    assert ids("?status=left") == ["chen"]
    assert ids("?team=T2") == ["sun", "zhao"]
    assert ids("?role=after_sales") == ["li", "wang"]
    assert ids("?employment=probation") == ["wang"]
    assert ids("?q=王") == ["wang"]
    assert ids("?q=ZH") == ["zhao"]  # ids match without regard to case
    assert ids("?q=nobody") == []


def test_a_wrong_filter_value_is_named(client_for):
    page = client_for("hr").get("/people/?team=T9&role=boss").content.decode()
    assert re.search(r'<div class="error" role="alert">.*团队.*岗位', page, re.S)
    # the wrong filters are left out: everybody active is listed
    assert len(re.findall(r"<tr data-agent-id=", page)) == 4


def test_supervisors_do_not_get_a_team_filter(client_for):
    assert 'name="team"' not in client_for("sup1").get("/people/").content.decode()
    assert 'name="team"' in client_for("hr").get("/people/").content.decode()


def test_htmx_asks_only_for_the_results(client_for):
    response = client_for("hr").get("/people/?team=T1", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and '<table class="data" id="people-table">' in page
    assert "HX-Request" in response["Vary"]
    assert re.findall(r'<tr data-agent-id="([^"]+)"', page) == ["li", "wang"]


def test_people_are_paginated(client_for, world):
    Agent.objects.bulk_create(
        Agent(agent_id=f"x{i:03}", name=f"客服{i}", team=world.teams["T2"], role="cloud") for i in range(60)
    )
    client = client_for("hr")
    first = client.get("/people/").content.decode()
    assert len(re.findall(r"<tr data-agent-id=", first)) == 50
    assert "第 1 页，共 2 页" in first and "共 64 人" in first
    second = client.get("/people/?page=2").content.decode()
    assert len(re.findall(r"<tr data-agent-id=", second)) == 14
    assert client.get("/people/?page=abc").status_code == 200  # a bad page number shows the first page


@pytest.mark.parametrize("who,path", [("hr", "/people/"), ("sup2", "/people/"), ("sup2", "/"), ("hr", "/")])
def test_queries_do_not_grow_with_the_number_of_agents(
    who, path, client_for, world, django_assert_num_queries
):
    client = client_for(who)
    add_facts()
    client.get(path)  # warm up (content types, session)
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    Agent.objects.bulk_create(
        Agent(agent_id=f"x{i:03}", name=f"客服{i}", team=world.teams["T2"], role="cloud") for i in range(40)
    )
    with django_assert_num_queries(len(few)):
        client.get(path)
    assert len(few) <= 10  # one of them counts the unread notifications of the menu


def test_the_person_page(client_for):
    add_facts()
    page = client_for("li").get("/people/li/").content.decode()
    assert tiles(page) == {"chats": 2, "tickets": 1, "ratings": 1}
    assert "¥1200.50" in page  # their own pay
    page = client_for("sup1").get("/people/li/").content.decode()
    assert "1200.50" not in page  # a supervisor sees the profile, not the pay
    assert "夜班" in client_for("sup1").get("/people/wang/").content.decode()


def test_shift_names_are_unique_per_team_and_among_shared_shifts(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.create(name="早班", team=world.teams["T1"], starts_at=time(9), ends_at=time(18))
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.create(name="夜班", team=None, starts_at=time(23), ends_at=time(8))
    Shift.objects.create(name="早班", team=world.teams["T2"], starts_at=time(9), ends_at=time(18))
    assert Shift.objects.get(name="夜班").overnight


@pytest.mark.parametrize("model", ["team", "agent", "membership", "shift", "user"])
def test_admin_pages_list_and_filter(model, client_for, world):
    world.user("admin").is_superuser = True
    world.user("admin").save()
    client = client_for("admin")
    app = "auth" if model == "user" else "org"
    response = client.get(f"/admin/{app}/{model}/")
    assert response.status_code == 200
    assert "merit 管理后台" in response.content.decode()
    if model == "agent":
        page = client.get(f"/admin/org/agent/?team__id__exact={world.teams['T2'].pk}").content.decode()
        assert "赵强" in page and "李明" not in page
    if model == "user":
        li = get_user_model().objects.get(username="li")
        page = client.get(f"/admin/auth/user/{li.pk}/change/").content.decode()
        assert 'name="membership-0-role"' in page  # the role is edited on the user's page


def test_deactivating_a_user_in_the_admin_signs_them_out(client_for, world):
    li_browser = Client()
    li_browser.post("/login/", {"username": "li", "password": PASSWORD})
    assert li_browser.get("/").status_code == 200

    world.user("admin").is_superuser = True
    world.user("admin").save()
    admin = client_for("admin")
    li = world.user("li")
    form = admin.get(f"/admin/auth/user/{li.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "groups")}
    data.update(
        {
            "is_active": "",  # unticked
            "date_joined_0": li.date_joined.astimezone(SHANGHAI).strftime("%Y-%m-%d"),
            "date_joined_1": li.date_joined.astimezone(SHANGHAI).strftime("%H:%M:%S"),
            "membership-TOTAL_FORMS": "1",
            "membership-INITIAL_FORMS": "1",
            "membership-MIN_NUM_FORMS": "0",
            "membership-MAX_NUM_FORMS": "1",
            "membership-0-id": str(li.membership.pk),
            "membership-0-user": str(li.pk),
            "membership-0-role": "agent",
            "membership-0-team": "",
        }
    )
    data.pop("is_active")
    data.pop("last_login", None)
    response = admin.post(f"/admin/auth/user/{li.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    li.refresh_from_db()
    assert not li.is_active
    assert li_browser.get("/").status_code == 302
