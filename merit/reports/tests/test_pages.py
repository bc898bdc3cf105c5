"""The reports page in Chinese (the default language): what each role may export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merit.reports.tests.conftest import PERIOD

pytestmark = pytest.mark.django_db


def test_hr_sees_every_run_and_month_in_chinese(data, client_for):
    r = client_for("hr").get(reverse("reports:home"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "<h1>报表与导出</h1>" in html and "月度工资表" in html and "考核批次的评分表" in html
    assert f'<option value="{data.run.pk}">' in html and f'<option value="{PERIOD}">' in html
    assert 'name="csrfmiddlewaretoken"' in html and "暂无后台导出。" in html


def test_a_supervisor_is_told_their_exports_hold_their_team(data, client_for):
    html = client_for("sup1").get(reverse("reports:home")).content.decode()
    assert "您的导出仅包含本团队的客服。" in html and f'<option value="{data.run.pk}">' in html


def test_the_menu_links_the_reports_for_supervisors_and_hr(data, client_for):
    html = client_for("sup2").get(reverse("home")).content.decode()
    assert 'href="/reports/"' in html


def test_exports_refuse_get(data, client_for):
    assert client_for("hr").get(reverse("reports:export")).status_code == 405


def test_the_admin_lists_exports_read_only(data, client):
    from django.contrib.auth import get_user_model

    from merit.reports.actions import request_export

    request_export(data.user("hr"), "payroll", period=PERIOD, enqueue=False)
    root = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(root)
    r = client.get("/admin/reports/export/")
    assert r.status_code == 200 and "payroll" in r.content.decode()


def test_an_export_without_the_csrf_token_is_refused(data):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(data.user("hr"))
    r = c.post(reverse("reports:export"), {"kind": "payroll", "period": PERIOD, "format": "xlsx"})
    assert r.status_code == 403
