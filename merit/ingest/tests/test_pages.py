"""Who may import, what each role sees, and the pages: upload, progress bar, report, problems CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from merit.facts.models import Ticket
from merit.ingest.actions import run_import, submit_import
from merit.ingest.models import Import, ImportState
from merit.ingest.tests.files import table_csv, ticket


def _import(user, files, profile=""):
    imp = submit_import(user, files, profile, enqueue=False)
    return run_import(imp.pk) if imp.state == ImportState.QUEUED else imp


def _client(client, user):
    client.force_login(user)
    return client


# ---- who may import ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["li", "nobody"])
def test_agents_and_users_without_a_role_may_not_import(world, who):
    with pytest.raises(PermissionDenied):
        submit_import(world.users[who], [("tickets.csv", table_csv("tickets", [ticket(1)]))])
    assert not Import.objects.exists()


def test_a_supervisor_imports_rows_of_their_own_team_only(world):
    sup1 = world.users["sup1"]
    rows = [ticket(1, agent="li"), ticket(2, agent="zhao"), ticket(3, agent="wang"), ticket(4, agent="zhao")]
    bad = _import(sup1, [("tickets.csv", table_csv("tickets", rows))])
    assert bad.state == ImportState.FAILED
    assert [(p["row"], p["column"], p["value"], p["reason"]) for p in bad.problems] == [
        (3, "agent_id", "zhao", "agent zhao is not in your team"),
        (5, "agent_id", "zhao", "agent zhao is not in your team"),
    ]
    assert Ticket.objects.count() == 0
    good = _import(
        sup1, [("tickets.csv", table_csv("tickets", [ticket(1, agent="li"), ticket(3, agent="wang")]))]
    )
    assert good.state == ImportState.SUCCEEDED, good.problems
    assert Ticket.objects.count() == 2


def test_a_supervisor_cannot_change_agents_or_shop_wide_tables(world):
    sup1 = world.users["sup1"]
    agents = table_csv("agents", [{"agent_id": "li", "name": "改名", "team_id": "T1", "role": "cloud"}])
    tickets = table_csv("tickets", [ticket(1, agent="li")])
    imp = _import(sup1, [("agents.csv", agents), ("tickets.csv", tickets)])
    assert imp.state == ImportState.SUCCEEDED, imp.problems
    assert set(imp.summary) == {"tickets"}
    assert world.agents["li"].__class__.objects.get(agent_id="li").name == "李明"
    assert any("agents.csv: ignored" in n for n in imp.notices)
    bench = _import(sup1, [("benchmarks.csv", b"period,metric,value\n2026-03,dsr,4.8\n")])
    assert bench.state == ImportState.FAILED
    assert bench.problems[0]["reason"] == "only HR or an admin may import benchmarks"


# ---- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["li", "nobody"])
def test_agents_get_403_on_the_pages(client, world, who):
    imp = _import(world.users["hr"], [("tickets.csv", table_csv("tickets", [ticket(1)]))])
    c = _client(client, world.users[who])
    for url in (reverse("ingest:list"), reverse("ingest:new"), reverse("ingest:detail", args=[imp.pk])):
        assert c.get(url).status_code == 403


def test_another_supervisors_import_is_404_but_hr_sees_it(client, world):
    imp = _import(world.users["sup1"], [("tickets.csv", table_csv("tickets", [ticket(1, agent="li")]))])
    for name in ("ingest:detail", "ingest:progress", "ingest:problems_csv"):
        url = reverse(name, args=[imp.pk])
        assert _client(client, world.users["sup2"]).get(url).status_code == 404
        assert _client(client, world.users["hr"]).get(url).status_code == 200
        assert _client(client, world.users["sup1"]).get(url).status_code == 200
    listing = _client(client, world.users["sup2"]).get(reverse("ingest:list"))
    assert f'data-import="{imp.pk}"' not in listing.content.decode()
    listing = _client(client, world.users["hr"]).get(reverse("ingest:list"))
    assert f'data-import="{imp.pk}"' in listing.content.decode()


def test_upload_progress_and_report(client, world, django_capture_on_commit_callbacks):
    c = _client(client, world.users["hr"])
    page = c.get(reverse("ingest:new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'type="file"' in html and "multiple" in html
    assert "qianniu_chats" in html  # the profile select
    assert "上传数据包" in html  # Chinese first

    rows = [ticket(1), ticket(2, created_at='=HYPERLINK("http://x")'), ticket(3, agent="ghost")]
    upload = SimpleUploadedFile("tickets.csv", table_csv("tickets", rows), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = c.post(reverse("ingest:new"), {"files": [upload], "profile": ""})
    assert response.status_code == 302
    imp = Import.objects.get()
    assert response["Location"] == reverse("ingest:detail", args=[imp.pk])
    assert len(callbacks) == 1 and imp.task_id  # queued for the worker

    detail = c.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("ingest:progress", args=[imp.pk])}"' in detail
    assert 'hx-trigger="every 1s"' in detail
    partial = c.get(reverse("ingest:progress", args=[imp.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "every 1s" in partial.content.decode()

    run_import(imp.pk)
    done = c.get(reverse("ingest:progress", args=[imp.pk]), headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"  # the page reloads with the report
    detail = c.get(reverse("ingest:detail", args=[imp.pk])).content.decode()
    assert "every 1s" not in detail
    assert "未应用任何数据" in detail or "Nothing was applied" in detail
    assert "ghost" in detail and "unknown agent (not in agents)" in detail

    report = c.get(reverse("ingest:problems_csv", args=[imp.pk]))
    assert report["Content-Type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == ["表 table", "行 row", "列 column", "值 value", "原因 reason"]
    assert ["tickets", "3", "created_at", '\'=HYPERLINK("http://x")', records[1][4]] == records[1]
    assert records[2][:3] == ["tickets", "4", "agent_id"]


def test_a_duplicate_upload_says_so(client, world):
    data = table_csv("tickets", [ticket(1)])
    _import(world.users["hr"], [("tickets.csv", data)])
    c = _client(client, world.users["hr"])
    response = c.post(
        reverse("ingest:new"), {"files": [SimpleUploadedFile("tickets.csv", data)]}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert Import.objects.filter(state=ImportState.DUPLICATE).count() == 1
    assert 'id="duplicate"' in html
    assert Ticket.objects.count() == 1


def test_an_oversized_upload_gets_a_clear_message(client, world, settings):
    settings.MERIT_IMPORT_MAX_BYTES = 5_000
    data = table_csv("tickets", [ticket(i) for i in range(1, 100)])
    c = _client(client, world.users["hr"])
    response = c.post(reverse("ingest:new"), {"files": [SimpleUploadedFile("tickets.csv", data)]})
    assert response.status_code in (400, 413)
    html = response.content.decode()
    assert "超过上限 4.9 KB" in html.replace("\xa0", " ") and 'role="alert"' in html
    assert not Import.objects.exists()


def test_the_upload_form_checks_csrf(world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.users["hr"])
    data = SimpleUploadedFile("tickets.csv", table_csv("tickets", [ticket(1)]))
    assert c.post(reverse("ingest:new"), {"files": [data]}).status_code == 403
    assert not Import.objects.exists()
    token = c.get(reverse("ingest:new")).context["csrf_token"]
    data = SimpleUploadedFile("tickets.csv", table_csv("tickets", [ticket(1)]))
    response = c.post(reverse("ingest:new"), {"files": [data], "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
