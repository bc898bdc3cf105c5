"""The desk through the JSON API and the pages: permissions per role, masking, CSRF, the survey link,
the periodic task."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from merit.audit.models import AuditEntry
from merit.tickets import actions
from merit.tickets.models import Case, Survey
from merit.tickets.survey import survey_path
from merit.tickets.tests.conftest import open_for, sh

pytestmark = pytest.mark.django_db

NEW = {
    "team_id": "T1",
    "kind": "refund",
    "channel": "chat",
    "priority": "high",
    "subject": "退款没到账",
    "customer_contact": "13812345678",
}


def test_create_and_work_a_case_through_the_api(desk, as_user):
    sup = as_user("sup1")
    r = sup.post("/api/cases", NEW)
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["customer_contact"] == "138****5678" and case["assignee_id"] in {"li", "wang"}
    assert case["first_response_sla"] in {"ok", "near", "breached"} and case["status"] == "new"
    tid, holder = case["ticket_id"], case["assignee_id"]
    agent = as_user(holder)
    assert agent.post(f"/api/cases/{tid}/reply", {"body": "您好，正在处理"}).json()["status"] == "open"
    assert agent.post(f"/api/cases/{tid}/resolve", {"note": "已退款"}).json()["status"] == "resolved"
    closed = agent.post(f"/api/cases/{tid}/close").json()
    assert closed["status"] == "closed" and "/survey/" in closed["survey_url"]
    assert agent.post(f"/api/cases/{tid}/reply", {"body": "again"}).status_code == 409
    messages = agent.get(f"/api/cases/{tid}/messages").json()
    assert [m["kind"] for m in messages if m["kind"] == "reply"] == ["reply"]


def test_api_permissions_per_role(desk, as_user):
    case = open_for(desk, "2026-03-09 09:00")
    holder = case.assignee.agent_id
    other = "wang" if holder == "li" else "li"
    tid = case.ticket_id
    status = {
        u: as_user(u).get(f"/api/cases/{tid}").status_code
        for u in ("li", "wang", "zhao", "sup1", "sup2", "hr", "admin", "nobody", "anonymous")
    }
    assert status == {
        "li": 200,
        "wang": 200,
        "zhao": 404,
        "sup1": 200,
        "sup2": 404,
        "hr": 200,
        "admin": 200,
        "nobody": 404,
        "anonymous": 401,
    }
    assert as_user(other).post(f"/api/cases/{tid}/reply", {"body": "x"}).status_code == 403  # not the holder
    assert as_user("sup2").post(f"/api/cases/{tid}/reply", {"body": "x"}).status_code == 404
    assert as_user(holder).post(f"/api/cases/{tid}/assign", {"agent_id": other}).status_code == 403
    assert (
        as_user("sup1").post(f"/api/cases/{tid}/assign", {"agent_id": other}).json()["assignee_id"] == other
    )
    assert as_user("zhao").post("/api/cases", {**NEW, "team_id": "T1"}).status_code == 404  # another team
    assert (
        as_user("sup1").post("/api/cases", {**NEW, "ticket_id": "D1"}).status_code == 422
    )  # no mass assignment
    bad = as_user("sup1").post("/api/cases", {**NEW, "kind": "bribe"})
    assert bad.status_code == 422 and "kind" in str(bad.json())


def test_reveal_contact_only_for_assignee_and_hr_and_audited(desk, as_user):
    case = open_for(desk, "2026-03-09 09:00")
    holder = case.assignee.agent_id
    answers = {
        u: as_user(u).post(f"/api/cases/{case.ticket_id}/reveal-contact")
        for u in (holder, "sup1", "hr", "admin")
    }
    assert answers[holder].json() == {"customer_contact": "13812345678"} and answers["hr"].status_code == 200
    assert answers["sup1"].status_code == 403 and answers["admin"].status_code == 403
    assert AuditEntry.objects.filter(action="tickets.case.reveal_contact").count() == 2
    page = as_user("sup1").client.get(f"/desk/{case.ticket_id}/")
    assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode()


def test_queue_filters_for_breach(desk, as_user):
    late = open_for(desk, "2026-03-09 09:00", priority="urgent")
    open_for(desk, "2026-03-09 09:00", priority="normal")
    actions.mark_breaches(sh("2026-03-09 09:45"))
    with time_machine.travel(sh("2026-03-09 09:50"), tick=False):  # urgent due 09:30, normal 12:00
        rows = as_user("sup1").get("/api/cases", breach="breached").json()
        html = as_user("sup1").client.get("/desk/team/?breach=breached").content.decode()
        near = as_user("sup1").get("/api/cases", breach="near").json()
    assert [c["ticket_id"] for c in rows["items"]] == [late.ticket_id]
    assert near["count"] == 0
    assert late.ticket_id in html and html.count('data-case="') == 1


def test_pages_open_a_case_and_act_with_csrf(desk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.users["sup1"], backend="django.contrib.auth.backends.ModelBackend")
    form = client.get("/desk/new/")
    assert form.status_code == 200 and "新建工单" in form.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    data = {
        "team": "T1",
        "kind": "return",
        "channel": "phone",
        "priority": "normal",
        "subject": "退货运费",
        "csrfmiddlewaretoken": token,
    }
    assert Client(enforce_csrf_checks=True).post("/desk/new/", data).status_code in (
        302,
        403,
    )  # no session: sign-in
    no_token = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
    assert client.post("/desk/new/", no_token).status_code == 403
    r = client.post("/desk/new/", data)
    assert r.status_code == 302
    case = Case.objects.get(subject="退货运费")
    page = client.get(r["Location"]).content.decode()
    assert case.ticket_id in page and "首次响应" in page
    r = client.post(f"/desk/{case.ticket_id}/reply/", {"text": "您好", "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "open"
    r = client.post(f"/desk/{case.ticket_id}/wait/", {"text": "", "csrfmiddlewaretoken": token}, follow=True)
    # refused in words (the field's label, not its code name "text"), and the case kept as it was
    assert "内容: 这个字段是必填项。" in r.content.decode() and "text:" not in r.content.decode()
    assert Case.objects.get(pk=case.pk).status == "open"


def test_survey_page_needs_no_sign_in_and_takes_one_answer(desk):
    case = open_for(desk, "2026-03-09 09:00")
    holder = case.assignee.user
    actions.reply(case, "您好", by=holder, at=sh("2026-03-09 09:05"))
    actions.resolve(case, "好了", by=holder, at=sh("2026-03-09 10:00"))
    case = actions.close(case, by=holder, at=sh("2026-03-09 10:05"))
    url = survey_path(case)
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "满意" in page.content.decode()
    assert anonymous.post(url, {"score": "4", "comment": "不错"}).status_code == 200
    assert Survey.objects.get(case=case).score == 4
    assert anonymous.post(url, {"score": "1"}).status_code == 200 and Survey.objects.get(case=case).score == 4
    assert anonymous.get(url[:-3] + "xx/").status_code == 404  # altered token


def test_periodic_sweep_is_queued_once_on_the_worker(desk):
    from django_tasks_db.models import DBTaskResult

    from merit.tickets.tasks import schedule_next, sla_sweep_task

    schedule_next()
    schedule_next()
    assert DBTaskResult.objects.filter(task_path=sla_sweep_task.module_path, status="READY").count() == 1


def test_the_desk_opens_where_each_role_works(desk):
    def get(who, path):
        c = Client()
        c.force_login(desk.users[who], backend="django.contrib.auth.backends.ModelBackend")
        return c.get(path)

    # a supervisor holds no cases: /desk/ opens the team queue, filters kept
    r = get("sup1", "/desk/?status=all")
    assert r.status_code == 302 and r["Location"] == "/desk/team/?status=all"
    assert get("sup1", "/desk/").status_code == 302
    assert get("li", "/desk/").status_code == 200  # an agent's own cases
