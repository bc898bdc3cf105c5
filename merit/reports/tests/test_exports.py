"""The exports read back (XLSX with openpyxl, CSV with the csv module): scorecards of a run, the payroll
of a month against the money ledger, who may export what, and audit rows — on SQLite or PostgreSQL."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from merit.assessment.models import RunState
from merit.audit.models import AuditEntry
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.reports import actions
from merit.reports.tests.conftest import EVIL_NAMES, PERIOD, T1, T2, march_doc, publish_doc

pytestmark = pytest.mark.django_db

D = Decimal
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post_export(client, **form):
    return client.post(reverse("reports:export"), {"format": "xlsx", **form})


def sheet(response_or_bytes):
    data = response_or_bytes if isinstance(response_or_bytes, bytes) else response_or_bytes.content
    return load_workbook(io.BytesIO(data)).active


def records(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def ledger_total(period: str = PERIOD, agents=None) -> Decimal:
    qs = LedgerEntry.objects.filter(book=P.MONEY, period=period)
    if agents is not None:
        qs = qs.filter(agent_id__in=agents)
    return sum(qs.values_list("amount", flat=True), D("0.00"))


# ---- scorecards ----------------------------------------------------------------------------------------


def test_hr_exports_a_runs_scorecards_as_xlsx(data, client_for):
    r = post_export(client_for("hr"), kind="scorecards", run=data.run.pk)
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    assert r["Content-Disposition"] == f'attachment; filename="scorecards-run{data.run.pk}-{PERIOD}.xlsx"'
    ws = sheet(r)
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["考核期间 period", "客服编号 agent id", "姓名 name", "团队 team"]
    assert "首次响应时间 frt" in header and "满意度 csat" in header
    assert all(c.font.b for c in ws[1])
    rows = {row["客服编号 agent id"]: row for row in records(ws)}
    assert set(rows) == T1 | T2
    li = rows["li"]
    assert li["得分 score"] == 92.5 and li["等级 grade"] == "A" and li["系数 coefficient"] == 1.2
    assert li["奖金 bonus"] == 2160 and li["首次响应时间 frt"] == 45 and li["满意度 csat"] == 47.5
    assert rows["wang"]["标记 flags"] == "probation_review"
    # names a spreadsheet would evaluate come back as text with a leading apostrophe
    for agent_id, name in EVIL_NAMES.items():
        assert rows[agent_id]["姓名 name"] == "'" + name
    numbers = {c.column_letter: c for c in ws[2]}
    score = numbers["E"]
    assert score.data_type == "n" and score.number_format == "0.00"
    name_cells = [c for c in ws["C"][1:] if str(c.value).startswith("'")]
    assert len(name_cells) == 3 and all(c.data_type == "s" for c in name_cells)


def test_scorecards_as_csv(data, client_for):
    r = post_export(client_for("hr"), kind="scorecards", run=data.run.pk, format="csv")
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r.content.startswith("\ufeff".encode()) and b"\r\n" in r.content
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    by_id = {row["客服编号 agent id"]: row for row in rows}
    assert by_id["li"]["得分 score"] == "92.50"
    assert {by_id[a]["姓名 name"] for a in EVIL_NAMES} == {"'" + n for n in EVIL_NAMES.values()}


def test_a_supervisors_export_holds_their_team_only(data, client_for):
    ws = sheet(post_export(client_for("sup1"), kind="scorecards", run=data.run.pk))
    assert {row["客服编号 agent id"] for row in records(ws)} == T1


def test_runs_in_review_are_for_hr_and_admins(data, client_for):
    doc = march_doc()
    doc["output_sha256"] = "4" * 64
    submitted = publish_doc(doc, data.user("admin"), state=RunState.SUBMITTED)
    assert post_export(client_for("sup1"), kind="scorecards", run=submitted.pk).status_code == 404
    r = post_export(client_for("hr"), kind="scorecards", run=submitted.pk)
    assert r.status_code == 200
    assert f"run{submitted.pk}-{PERIOD}-submitted.xlsx" in r["Content-Disposition"]


def test_an_unknown_run_answers_404(data, client_for):
    assert post_export(client_for("hr"), kind="scorecards", run=9999).status_code == 404


@pytest.mark.parametrize("who", ["li", "zhao", "nobody"])
def test_agents_and_users_without_a_role_are_refused(data, client_for, who):
    c = client_for(who)
    assert c.get(reverse("reports:home")).status_code == 403
    assert c.get(reverse("reports:jobs")).status_code == 403
    assert post_export(c, kind="payroll", period=PERIOD).status_code == 403
    assert post_export(c, kind="scorecards", run=data.run.pk).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="reports.").exists()


def test_anonymous_visitors_sign_in_first(data, client_for):
    r = client_for("anonymous").get(reverse("reports:home"))
    assert r.status_code == 302 and "/login/" in r["Location"]


# ---- payroll -------------------------------------------------------------------------------------------


def test_payroll_totals_equal_the_money_ledger(data, client_for):
    assert LedgerEntry.objects.filter(period=PERIOD, reverses__isnull=False).exists()  # a reversal
    assert LedgerEntry.objects.filter(period=PERIOD, origin="notice:1").exists()  # a procedure's entry
    r = post_export(client_for("hr"), kind="payroll", period=PERIOD)
    assert r["Content-Disposition"] == f'attachment; filename="payroll-{PERIOD}.xlsx"'
    ws = sheet(r)
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header == [
        "客服编号 agent id",
        "姓名 name",
        "团队 team",
        "绩效奖金基数 base bonus",
        "绩效系数 coefficient",
        "绩效奖金 bonus",
        "奖励 rewards",
        "罚款 fines",
        "服务费 fee",
        "合计 net",
        "分录数 entries",
    ]
    rows = records(ws)
    totals = rows.pop()
    by_id = {row["客服编号 agent id"]: row for row in rows}
    assert set(by_id) == T1 | T2
    li = by_id["li"]
    assert (li["绩效奖金基数 base bonus"], li["绩效系数 coefficient"]) == (1200.5, 1.2)
    assert (li["绩效奖金 bonus"], li["奖励 rewards"], li["罚款 fines"], li["合计 net"]) == (
        2160,
        200,
        -30,
        2330,
    )
    assert by_id["zhao"]["服务费 fee"] == 1600
    assert by_id["chen"]["合计 net"] == 0
    for agent_id, name in EVIL_NAMES.items():
        assert by_id[agent_id]["姓名 name"] == "'" + name
    for row in rows:  # each agent's net is their month of the money ledger
        assert D(str(row["合计 net"])) == ledger_total(agents=[row["客服编号 agent id"]])
    assert totals["客服编号 agent id"] == "合计 total"
    assert D(str(totals["合计 net"])) == ledger_total() == D("5030.01")
    parts = sum(D(str(totals[k])) for k in ("绩效奖金 bonus", "奖励 rewards", "罚款 fines", "服务费 fee"))
    assert parts == ledger_total()
    assert totals["分录数 entries"] == LedgerEntry.objects.filter(book=P.MONEY, period=PERIOD).count()
    net = next(c for c in ws[ws.max_row] if c.column_letter == "J")
    assert net.data_type == "n" and net.number_format == "0.00" and net.font.b


def test_payroll_as_csv_adds_up_exactly(data, client_for):
    r = post_export(client_for("hr"), kind="payroll", period=PERIOD, format="csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    totals = rows.pop()
    assert sum(D(row["合计 net"]) for row in rows) == D(totals["合计 net"]) == ledger_total()
    assert {row["罚款 fines"] for row in rows if row["客服编号 agent id"] == "li"} == {"-30.00"}


def test_a_supervisors_payroll_holds_their_team_only(data, client_for):
    r = post_export(client_for("sup2"), kind="payroll", period=PERIOD)
    assert f"payroll-{PERIOD}-T2.xlsx" in r["Content-Disposition"]
    rows = records(sheet(r))
    totals = rows.pop()
    assert {row["客服编号 agent id"] for row in rows} == T2
    assert D(str(totals["合计 net"])) == ledger_total(agents=T2) == D("1700.01")


def test_another_month_is_its_own_payroll(data, client_for):
    rows = records(sheet(post_export(client_for("hr"), kind="payroll", period="2026-02")))
    totals = rows.pop()
    assert D(str(totals["合计 net"])) == D("-20.00")
    assert {row["客服编号 agent id"] for row in rows} == {"li", "wang", "zhao", "sun"}  # chen left


def test_a_bad_month_is_refused(data, client_for):
    r = post_export(client_for("hr"), kind="payroll", period="2026-13")
    assert r.status_code == 400


# ---- audit ---------------------------------------------------------------------------------------------


def test_every_export_writes_an_audit_row(data, client_for):
    post_export(client_for("hr"), kind="payroll", period=PERIOD)
    row = AuditEntry.objects.get(action="reports.export")
    assert row.actor_id == data.user("hr").pk
    assert row.detail["kind"] == "payroll" and row.detail["params"] == {"period": PERIOD, "format": "xlsx"}
    assert row.detail["rows"] == 5 and row.detail["file"] == f"payroll-{PERIOD}.xlsx"


def test_the_action_refuses_an_agent(data):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.export_now(data.user("li"), "payroll", period=PERIOD)
    with pytest.raises(PermissionDenied):
        actions.request_export(data.user("li"), "payroll", period=PERIOD)
