"""The run pages, for every kind of user: the list (an agent's own months), a run with its progress and
review buttons, a review that loses (a message, nothing changed), an agent's month with every
explanation, a supervisor's team. Chinese first, English on request."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from merit.assessment import actions
from merit.assessment.models import Run, RunState
from merit.assessment.tests.conftest import MONTH, add_complaint, computing

pytestmark = computing


def page(shop, who: str, **kw) -> Client:
    client = Client(**kw)
    if who != "anonymous":
        client.force_login(shop.users[who], backend="django.contrib.auth.backends.ModelBackend")
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def published(shop):
    return shop.publish(shop.run())


def test_the_list_shows_managers_every_run_with_the_form_and_an_agent_their_published_months(shop, published):
    draft = shop.run("2026-02")
    hr = page(shop, "hr").get("/runs/")
    assert hr.status_code == 200
    body = text(hr)
    assert "考核批次" in body and 'id="new-run"' in body and "csrfmiddlewaretoken" in body
    assert f'data-run="{published.pk}"' in body and f'data-run="{draft.pk}"' in body
    assert "已发布" in body and "已计算" in body

    sup = text(page(shop, "sup1").get("/runs/"))  # from submission on; no form
    assert f'data-run="{published.pk}"' in sup and f'data-run="{draft.pk}"' not in sup
    assert 'id="new-run"' not in sup

    mine = text(page(shop, "a02").get("/runs/"))
    assert "我的考核" in mine and f'href="/runs/{published.pk}/agents/A00002/{MONTH}/"' in mine
    assert "A00003" not in mine

    assert page(shop, "nobody").get("/runs/").status_code == 403
    assert page(shop, "anonymous").get("/runs/").status_code == 302
    english = page(shop, "hr", HTTP_ACCEPT_LANGUAGE="en").get("/runs/")
    assert "Assessment runs" in text(english) and "Published" in text(english)


def test_a_new_run_is_requested_from_the_form_and_the_same_request_opens_the_same_run(shop):
    hr = page(shop, "hr")
    r = hr.post("/runs/new/", {"policy_id": "S1", "first_period": MONTH})
    run = Run.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/runs/{run.pk}/"
    detail = text(hr.get(r["Location"]))
    assert "排队中" in detail and f'hx-get="/runs/{run.pk}/progress/"' in detail
    again = hr.post("/runs/new/", {"policy_id": "S1", "first_period": MONTH}, follow=True)
    assert again.redirect_chain[-1][0] == f"/runs/{run.pk}/" and Run.objects.count() == 1
    bad = hr.post("/runs/new/", {"policy_id": "S1", "first_period": "2026-03", "last_period": "2026-01"})
    assert bad.status_code == 400 and "结束月份早于起始月份" in text(bad)
    assert (
        page(shop, "sup1").post("/runs/new/", {"policy_id": "S1", "first_period": MONTH}).status_code == 403
    )


def test_progress_is_polled_while_computing_and_the_page_reloads_when_done(shop):
    run = actions.request_run(shop.users["hr"], shop.version(), MONTH, enqueue=False)
    hr = page(shop, "hr")
    polled = hr.get(f"/runs/{run.pk}/progress/", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "every 1s" in text(polled) and "等待后台任务" in text(polled)
    actions.compute_run(run.pk)
    done = hr.get(f"/runs/{run.pk}/progress/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def buttons(body: str) -> set[str]:
    return set(re.findall(r'id="(submit|approve|publish|reject)-run"', body))


def test_review_buttons_follow_the_state_the_role_and_the_four_eyes_rule(shop):
    run = shop.run()
    url = f"/runs/{run.pk}/"
    hr, admin = page(shop, "hr"), page(shop, "admin")
    assert buttons(text(hr.get(url))) == {"submit"}
    assert page(shop, "sup1").get(url).status_code == 404  # not submitted yet
    r = hr.post(url + "submit/", follow=True)
    assert "已提交审批" in text(r)
    mine = text(hr.get(url))
    assert buttons(mine) == {"reject"} and 'id="four-eyes"' in mine
    assert buttons(text(admin.get(url))) == {"approve", "reject"}
    assert buttons(text(page(shop, "sup1").get(url))) == set()  # sees it, may not review
    assert page(shop, "sup1").post(url + "approve/").status_code == 403

    # The submitter's approval (sent anyway) is refused with the reason; nothing changes.
    refused = hr.post(url + "approve/", follow=True)
    assert "须由另一人审批（四眼原则）" in text(refused)
    assert Run.objects.get(pk=run.pk).state == RunState.SUBMITTED
    admin.post(url + "approve/")
    late = page(shop, "hr2").post(url + "approve/", follow=True)  # someone else was first
    assert "已是“已审批”状态（操作人 admin）" in text(late)
    assert buttons(text(admin.get(url))) == {"publish", "reject"}
    assert "已发布" in text(admin.post(url + "publish/", follow=True))
    assert Run.objects.get(pk=run.pk).state == RunState.PUBLISHED


def test_a_rejection_needs_a_reason_and_shows_it(shop):
    run = shop.run()
    actions.submit(run, shop.users["hr"])
    admin = page(shop, "admin")
    url = f"/runs/{run.pk}/"
    assert "请填写驳回理由" in text(admin.post(url + "reject/", {"reason": ""}, follow=True))
    assert Run.objects.get(pk=run.pk).state == RunState.SUBMITTED
    body = text(admin.post(url + "reject/", {"reason": "三月考勤待补"}, follow=True))
    assert "已驳回" in body and "三月考勤待补" in body


def test_review_forms_need_the_csrf_token(shop):
    run = shop.run()
    client = page(shop, "hr", enforce_csrf_checks=True)
    assert client.post(f"/runs/{run.pk}/submit/").status_code == 403
    assert Run.objects.get(pk=run.pk).state == RunState.COMPUTED


def test_an_agent_sees_every_line_of_their_month_explained_and_nobody_elses(shop, published):
    url = f"/runs/{published.pk}/agents/A00002/{MONTH}/"
    r = page(shop, "a02").get(url)
    assert r.status_code == 200
    body = text(r)
    row = published.agent_results.get(agent_id="A00002")
    assert row.doc["bonus"] in body and "base × factor" in body  # the bonus and its rule
    assert "期末余额" in body and row.doc["points"]["closing"] in body
    for entry in row.doc["points"]["entries"]:  # every point entry with its rule and source rows
        assert entry["rule"] in body
        for source in entry.get("source") or []:
            assert source["id"] in body
    assert page(shop, "a02").get(f"/runs/{published.pk}/agents/A00003/{MONTH}/").status_code == 404
    assert page(shop, "a11").get(url).status_code == 404
    assert page(shop, "sup1").get(url).status_code == 200  # their team
    assert page(shop, "sup2").get(url).status_code == 404
    draft = shop.run("2026-02")
    assert page(shop, "a02").get(f"/runs/{draft.pk}/agents/A00002/2026-02/").status_code == 404


def test_score_lines_show_rule_inputs_and_source_rows(shop):
    run = shop.run(policy_id="S5")
    row = run.agent_results.order_by("agent_id").first()
    body = text(page(shop, "hr").get(f"/runs/{run.pk}/agents/{row.agent_id}/{MONTH}/"))
    assert "尚未发布" in body
    for line in row.doc["lines"]:
        assert f'data-item="{line["item"]}"' in body and line["label"] in body
        for source in line["explain"]["source"]:
            assert (source.get("metric") or source["id"]) in body
    assert "requested_at in 2026-03 (Asia/Shanghai)" in body  # a metric's selection in words
    english = text(
        page(shop, "hr", HTTP_ACCEPT_LANGUAGE="en").get(f"/runs/{run.pk}/agents/{row.agent_id}/{MONTH}/")
    )
    assert row.doc["lines"][0]["label_en"] in english


def test_a_supervisor_sees_their_teams_month(shop, published):
    url = f"/runs/{published.pk}/teams/T001/{MONTH}/"
    r = page(shop, "sup1").get(url)
    assert r.status_code == 200
    body = text(r)
    rows = published.agent_results.filter(team_id="T001")
    assert len(re.findall(r'data-agent-id="', body)) == rows.count() == 10
    total = sum(r.bonus for r in rows)
    assert str(total) in body
    assert page(shop, "sup1").get(f"/runs/{published.pk}/teams/T002/{MONTH}/").status_code == 404
    assert page(shop, "a02").get(url).status_code == 404
    assert page(shop, "hr").get(url).status_code == 200
    detail = text(page(shop, "sup1").get(f"/runs/{published.pk}/"))
    assert f"/runs/{published.pk}/teams/T001/{MONTH}/" in detail and "/teams/T002/" not in detail


def test_a_published_run_offers_a_correction_which_changes_nothing_while_the_facts_do_not(shop, published):
    hr = page(shop, "hr")
    url = f"/runs/{published.pk}/"
    body = text(hr.get(url))
    assert 'id="correct-run"' in body and 'id="correct-run"' not in text(page(shop, "sup1").get(url))
    form = {"policy_id": "S1", "first_period": MONTH, "last_period": MONTH, "corrects": published.pk}
    same = hr.post("/runs/new/", form, follow=True)
    assert same.redirect_chain[-1][0] == url and "相同的批次已存在" in text(same)
    add_complaint("A00002")
    changed = hr.post("/runs/new/", form)
    correction = Run.objects.exclude(pk=published.pk).get()
    assert changed["Location"] == f"/runs/{correction.pk}/" and correction.corrects == published
