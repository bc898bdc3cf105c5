"""A run shows the data coverage of its months (rows per table, agents with data, against the months
before), and a month not over yet or with far less data than usual gives provisional results, which are
published only with a reason."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from merit.assessment import actions
from merit.assessment.models import RunState
from merit.assessment.tests.conftest import MONTH, computing
from merit.audit.models import AuditEntry
from merit.engine.metrics.compute import Period
from merit.facts.models import FACT_MODELS, Ticket

pytestmark = computing
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _client(shop, who: str) -> Client:
    client = Client()
    client.force_login(shop.users[who], backend="django.contrib.auth.backends.ModelBackend")
    return client


def _month(period: str):
    p = Period.parse(period)
    return {
        "created_at__gte": datetime(p.year, p.month, 1, tzinfo=SHANGHAI),
        "created_at__lt": datetime(p.shift(1).year, p.shift(1).month, 1, tzinfo=SHANGHAI),
    }


def test_a_complete_month_is_final_and_shows_its_coverage(shop_files, shop):
    # counted by hand from the package itself (DuckDB over the sample shop's CSV), not through merit
    march_tickets = shop_files.con.execute(
        "SELECT count(*) FROM tickets WHERE created_at >= TIMESTAMP '2026-02-28 16:00:00' "
        "AND created_at < TIMESTAMP '2026-03-31 16:00:00'"
    ).fetchone()[0]
    feb_tickets = shop_files.con.execute(
        "SELECT count(*) FROM tickets WHERE created_at >= TIMESTAMP '2026-01-31 16:00:00' "
        "AND created_at < TIMESTAMP '2026-02-28 16:00:00'"
    ).fetchone()[0]
    assert march_tickets > 0 and feb_tickets > 0

    run = shop.run()
    assert run.provisional == []
    (march,) = run.coverage
    assert march["period"] == MONTH and march["open"] is False
    assert march["rows"]["tickets"] == march_tickets
    assert march["usual"]["tickets"] == feb_tickets  # the only earlier month the tests keep
    assert march["usual_months"] == ["2025-12", "2026-01", "2026-02"]
    assert march["agents"] == 30 and march["low"] == []

    page = _client(shop, "hr").get(f"/runs/{run.pk}/").content.decode()
    assert 'id="coverage"' in page and 'id="provisional"' not in page
    assert f'<td class="num rows">{march_tickets}</td>' in page
    assert 'name="override_reason"' not in page


def test_far_less_data_than_usual_is_provisional_and_needs_a_reason_to_publish(shop):
    march = Ticket.objects.filter(**_month(MONTH)).order_by("ticket_id")
    total = march.count()
    keep = total // 10
    Ticket.objects.filter(pk__in=list(march.values_list("pk", flat=True)[keep:])).delete()

    run = shop.run()
    assert run.coverage[0]["low"] == ["tickets"]
    assert len(run.provisional) == 1
    assert run.provisional[0].startswith(f"{MONTH} tickets: {keep} 行 rows")
    actions.submit(run, shop.users["hr"])
    actions.approve(run, shop.users["admin"])
    page = _client(shop, "admin").get(f"/runs/{run.pk}/").content.decode()
    assert 'id="provisional"' in page and 'name="override_reason"' in page
    assert 'class="low"' in page

    with pytest.raises(ValidationError) as refused:
        actions.publish(run, shop.users["admin"])
    assert "override_reason" in refused.value.message_dict
    run.refresh_from_db()
    assert run.state == RunState.APPROVED

    # the page: without a reason nothing happens (a message), with one it is published
    admin = _client(shop, "admin")
    admin.post(f"/runs/{run.pk}/publish/", {"override_reason": "  "})
    run.refresh_from_db()
    assert run.state == RunState.APPROVED
    admin.post(f"/runs/{run.pk}/publish/", {"override_reason": "月中发放临时奖金，其余工单次月补录"})
    run.refresh_from_db()
    assert run.state == RunState.PUBLISHED
    assert run.publish_override == "月中发放临时奖金，其余工单次月补录"
    entry = AuditEntry.objects.filter(action="assessment.run.publish", target_id=str(run.pk)).get()
    assert entry.after["publish_override"] == "月中发放临时奖金，其余工单次月补录"
    assert "月中发放临时奖金" in admin.get(f"/runs/{run.pk}/").content.decode()


def test_the_current_month_is_provisional_and_the_api_asks_for_the_reason(shop):
    today = timezone.localdate()
    now = Period.parse(today.strftime("%Y-%m"))
    FACT_MODELS["tickets"].objects.create(
        ticket_id="TK-NOW-1",
        agent_id="A00002",
        kind="refund",
        channel="chat",
        created_at=datetime(now.year, now.month, 1, 10, tzinfo=SHANGHAI),
    )
    run = shop.run(str(now))
    assert run.coverage[0]["open"] is True
    assert any("尚未结束 has not ended yet" in why for why in run.provisional)

    api = _client(shop, "hr")
    body = api.get(f"/api/runs/{run.pk}").json()
    assert body["provisional"] == run.provisional and body["coverage"][0]["period"] == str(now)
    actions.submit(run, shop.users["hr"])
    actions.approve(run, shop.users["admin"])
    admin = _client(shop, "admin")
    r = admin.post(f"/api/runs/{run.pk}/publish", "", content_type="application/json")
    assert r.status_code == 422 and "override_reason" in json.dumps(r.json())
    r = admin.post(
        f"/api/runs/{run.pk}/publish",
        json.dumps({"override_reason": "先发布本月暂定结果供主管核对"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["publish_override"]) == ("published", "先发布本月暂定结果供主管核对")
