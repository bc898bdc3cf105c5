"""An import that changes rows of a published run's months never changes the published results: the
preview names the run, and once applied the run is marked "facts changed since publication" with a link
that opens the form of a correction run, filled in."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from merit.assessment.models import AgentResult
from merit.assessment.tests.conftest import MONTH, computing
from merit.engine import tables as T
from merit.facts.models import Ticket, field_name
from merit.ingest.actions import confirm_import, run_import, submit_import
from merit.ingest.models import ImportState
from merit.ingest.queries import published_runs_touched

pytestmark = computing
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _tickets_csv(tickets, **change) -> bytes:
    """The tickets as a package's tickets.csv (times as Shanghai wall time), with ``change`` applied."""
    cols = T.TABLES["tickets"].column_names
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for t in tickets:
        row = []
        for c in cols:
            attname = Ticket._meta.get_field(field_name(T.TABLES["tickets"].column(c))).attname
            v = change.get(c, getattr(t, attname))
            if hasattr(v, "astimezone"):
                v = v.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            row.append("" if v is None else ("true" if v is True else "false" if v is False else v))
        w.writerow(row)
    return buf.getvalue().encode()


def _results(run) -> list[tuple]:
    return list(
        AgentResult.objects.filter(run=run)
        .order_by("agent_id")
        .values_list("agent_id", "score", "bonus", "doc")
    )


def test_an_import_into_a_published_month_marks_the_run_and_leaves_its_results(shop):
    published = shop.publish(shop.run())
    before, sha = _results(published), published.output_sha256
    hr = shop.users["hr"]
    day = datetime(2026, 3, 5, tzinfo=SHANGHAI)
    march = Ticket.objects.filter(created_at__gte=day, created_at__lt=day + timedelta(days=1))
    march = march.order_by("ticket_id")
    changed = list(march[:3])
    assert changed and all(t.channel != "phone" for t in changed)

    imp = submit_import(
        hr, [("tickets.csv", _tickets_csv(changed, channel="phone"))], preview=True, enqueue=False
    )
    imp = run_import(imp.pk)
    assert imp.state == ImportState.PREVIEWED, imp.problems or imp.error
    assert imp.summary["tickets"]["updated"] == 3
    assert published_runs_touched({MONTH}) == [published]
    assert imp.months == {"tickets": [MONTH]}
    hr_page = Client()
    hr_page.force_login(hr, backend="django.contrib.auth.backends.ModelBackend")
    preview = hr_page.get(f"/imports/{imp.pk}/").content.decode()
    assert 'id="published-warning"' in preview and f'href="/runs/{published.pk}/"' in preview
    # before it is applied, the run is not marked
    assert 'id="facts-changed"' not in hr_page.get(f"/runs/{published.pk}/").content.decode()

    imp = run_import(confirm_import(hr, imp, enqueue=False).pk)
    assert imp.state == ImportState.SUCCEEDED
    assert Ticket.objects.filter(pk__in=[t.pk for t in changed], channel="phone").count() == 3

    published.refresh_from_db()
    assert _results(published) == before and published.output_sha256 == sha  # published never changes
    page = hr_page.get(f"/runs/{published.pk}/").content.decode()
    assert 'id="facts-changed"' in page and "发布后数据有变更" in page
    assert f'href="/imports/{imp.pk}/"' in page
    assert f'href="/runs/?corrects={published.pk}#new-run"' in page
    form = hr_page.get(f"/runs/?corrects={published.pk}").content.decode()
    assert f'name="corrects" value="{published.pk}"' in form
    assert f'name="first_period" value="{MONTH}"' in form

    agent = Client()
    agent.force_login(shop.users["a02"], backend="django.contrib.auth.backends.ModelBackend")
    assert 'id="facts-changed"' not in agent.get(f"/runs/{published.pk}/").content.decode()
