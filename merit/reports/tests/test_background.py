"""Large exports in the background: the Export row, the task writing it with progress, the list polled
by htmx, and the download only for the requester and HR/admins."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from merit.audit.models import AuditEntry
from merit.reports import actions
from merit.reports.models import Export, ExportState
from merit.reports.tests.conftest import PERIOD, T1, T2

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.MERIT_EXPORT_DIRECT_ROWS = 2  # every test export goes to the background


def test_a_large_export_runs_in_the_background_and_reaches_done(
    data, client_for, small_threshold, immediate_tasks, django_capture_on_commit_callbacks
):
    c = client_for("hr")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("reports:export"), {"kind": "payroll", "period": PERIOD, "format": "xlsx"})
    assert r.status_code == 302 and r["Location"] == reverse("reports:home")
    job = Export.objects.get()
    assert (job.state, job.progress, job.rows) == (ExportState.DONE, 100, 5)
    assert job.requested_by == data.user("hr") and job.params == {"period": PERIOD}
    assert job.file_name == f"payroll-{PERIOD}.xlsx" and job.finished_at is not None

    page = c.get(reverse("reports:home"))
    assert f'data-export="{job.pk}" data-state="done"' in page.content.decode()
    assert 'hx-trigger="every 1s"' not in page.content.decode()  # nothing in flight: no polling

    r = c.get(reverse("reports:download", args=[job.pk]))
    assert r.status_code == 200
    assert r["Content-Disposition"] == f'attachment; filename="payroll-{PERIOD}.xlsx"'
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws.freeze_panes == "A2"
    assert ws.cell(ws.max_row, 10).value == 5030.01
    actions_logged = list(
        AuditEntry.objects.filter(action__startswith="reports.").values_list("action", flat=True)
    )
    assert actions_logged == ["reports.export.request", "reports.export.done", "reports.export.download"]


def test_progress_is_reported_while_writing(data, monkeypatch):
    from merit.reports import xlsx

    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 1)
    seen = []
    original = actions._progress

    def spy(export_id, share, low=5, high=90):
        original(export_id, share, low, high)
        seen.append(Export.objects.get(pk=export_id).progress)

    monkeypatch.setattr(actions, "_progress", spy)
    job = actions.request_export(data.user("hr"), "scorecards", run=data.run.pk, enqueue=False)
    assert (job.state, job.progress) == (ExportState.QUEUED, 0)
    job = actions.write_export(job.pk)
    assert job.state == ExportState.DONE and job.progress == 100
    assert seen == sorted(seen) and 50 in seen and max(seen) <= 90 and len(set(seen)) > 2
    assert actions.write_export(job.pk).state == ExportState.DONE  # claimed once: a second call does nothing


def test_the_list_polls_while_an_export_is_in_flight(data, client_for):
    job = actions.request_export(data.user("sup1"), "payroll", period=PERIOD, enqueue=False)
    r = client_for("sup1").get(reverse("reports:jobs"))
    html = r.content.decode()
    assert 'hx-trigger="every 1s"' in html and f'data-export="{job.pk}" data-state="queued"' in html
    assert reverse("reports:download", args=[job.pk]) not in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("sup1", 200), ("hr", 200), ("admin", 200), ("sup2", 404), ("li", 404), ("nobody", 404)],
)
def test_only_the_requester_and_hr_download_it(data, client_for, who, status):
    job = actions.write_export(
        actions.request_export(data.user("sup1"), "payroll", period=PERIOD, enqueue=False).pk
    )
    assert job.state == ExportState.DONE
    r = client_for(who).get(reverse("reports:download", args=[job.pk]))
    assert r.status_code == status
    if status == 200:
        ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
        ids = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)} - {"合计 total"}
        assert ids == T1 and not ids & T2


def test_the_worker_uses_the_requesters_scope_when_it_runs(data):
    from merit.org.models import Membership

    job = actions.request_export(data.user("sup1"), "payroll", period=PERIOD, enqueue=False)
    Membership.objects.filter(user=data.user("sup1")).update(role="agent", team=None)
    job = actions.write_export(job.pk)
    assert job.state == ExportState.FAILED and "no longer" in job.error and not job.file
    assert AuditEntry.objects.filter(action="reports.export.failed", target_id=str(job.pk)).exists()


def test_an_interrupted_export_is_failed(data):
    job = actions.request_export(data.user("hr"), "payroll", period=PERIOD, enqueue=False)
    Export.objects.filter(pk=job.pk).update(state=ExportState.RUNNING, progress=40)
    assert actions.fail_interrupted_exports() == 1
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and "interrupted" in job.error


def test_the_file_is_the_ledger_of_the_month(data):
    job = actions.write_export(
        actions.request_export(data.user("hr"), "payroll", period=PERIOD, format="csv", enqueue=False).pk
    )
    text = job.file.open("rb").read().decode("utf-8-sig")
    assert text.splitlines()[-1].split(",")[9] == str(Decimal("5030.01"))
