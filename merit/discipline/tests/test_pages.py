"""The procedure's pages by role (object-level permissions: another team's proposal, notice, appeal or
file answers 404), CSRF, the notice's PDF and the personnel file's XLSX and PDF read back, the audited
reads of another person's file, and the board's masked names."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook
from pdfminer.high_level import extract_text

from merit.appeals import actions as AP
from merit.audit.models import AuditEntry
from merit.discipline import actions as A
from merit.ledger.procedure import Movement, post

USERS = ["li", "wang", "sup1", "sup2", "hr", "admin", "nobody", "anonymous"]
SEES_LI = {"li", "sup1", "hr", "admin"}


@pytest.fixture
def procedure(world):
    u = world.users
    p = A.propose(u["sup1"], world.agents["li"], "manual:fine", "50", "2026-03", "辱骂客户", "违反服务规范")
    p = A.review(u["hr"], p)
    A.acknowledge(u["li"], p.notice)
    open_one = A.propose(u["sup1"], world.agents["li"], "manual:fine", "20", "2026-03", "迟到", "考勤")
    other = A.propose(u["sup2"], world.agents["zhao"], "manual:fine", "30", "2026-03", "迟到", "考勤")
    appeal = AP.file_appeal(u["li"], f"notice:{p.notice.pk}", "有异议")
    return {"p": p, "notice": p.notice, "open": open_one, "other": other, "appeal": appeal}


def _status(client_for, who, url):
    client = client_for(who)
    code = client.get(url).status_code
    client.logout()
    return code


@pytest.mark.parametrize("who", USERS)
def test_permission_matrix(client_for, procedure, who):
    p, n, a = procedure["p"], procedure["notice"], procedure["appeal"]
    urls = [
        f"/discipline/{p.pk}/",
        f"/discipline/notices/{n.pk}/",
        f"/discipline/notices/{n.pk}/pdf/",
        "/discipline/file/li/",
        "/discipline/file/li/export.xlsx",
        f"/appeals/{a.pk}/",
    ]
    expected = 302 if who == "anonymous" else (200 if who in SEES_LI else 404)
    assert [_status(client_for, who, u) for u in urls] == [expected] * len(urls)
    # a proposal still under review is not shown to the agent it concerns
    under_review = _status(client_for, who, f"/discipline/{procedure['open'].pk}/")
    assert under_review == (302 if who == "anonymous" else 200 if who in {"sup1", "hr", "admin"} else 404)
    # another team's proposal: its supervisor, HR and admins
    other = _status(client_for, who, f"/discipline/{procedure['other'].pk}/")
    assert other == (302 if who == "anonymous" else 200 if who in {"sup2", "hr", "admin"} else 404)


def test_writes_need_the_csrf_token(world, procedure):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["hr"])
    assert client.post(f"/discipline/{procedure['open'].pk}/review/").status_code == 403
    procedure["open"].refresh_from_db()
    assert procedure["open"].state == "proposed"


def test_the_notice_pdf_states_facts_rule_decision_amount_and_deadline(client_for, procedure):
    n = procedure["notice"]
    response = client_for("li").get(f"/discipline/notices/{n.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = extract_text(io.BytesIO(response.content))
    for expected in (
        "处罚单",
        n.number,
        "辱骂客户",
        "违反服务规范",
        "50.00",
        n.appeal_until.isoformat(),
        "李明",
    ):
        assert expected in text, expected


def test_the_personnel_file_exports_read_back_and_are_formula_safe(client_for, world, procedure):
    post(
        [Movement("li", "money", "fine", Decimal("-10.00"), "2026-03", "x", '=HYPERLINK("http://x")')],
        "redemption:9",
        None,
    )
    client = client_for("hr")
    book = load_workbook(io.BytesIO(client.get("/discipline/file/li/export.xlsx").content))
    assert "罚款 fines" in book.sheetnames and "申诉 appeals" in book.sheetnames
    fines = list(book["罚款 fines"].iter_rows(min_row=2, values_only=True))
    assert ("2026-03", "manual:fine") in {(r[0], r[1]) for r in fines}
    assert {r[3] for r in fines} == {-50, -10}
    assert '\'=HYPERLINK("http://x")' in {r[2] for r in fines}  # text, never a formula
    assert book["罚款 fines"].freeze_panes == "A2"
    appeals = list(book["申诉 appeals"].iter_rows(min_row=2, values_only=True))
    assert len(appeals) == 1 and appeals[0][0] == procedure["appeal"].pk
    text = extract_text(io.BytesIO(client.get("/discipline/file/li/export.pdf").content))
    assert "人事档案" in text and "李明" in text and "-50.00" in text


def test_reading_another_persons_file_is_audited(client_for, procedure):
    before = AuditEntry.objects.filter(action="discipline.file.read").count()
    client = client_for("li")
    assert client.get("/discipline/file/li/").status_code == 200
    client.logout()
    assert AuditEntry.objects.filter(action="discipline.file.read").count() == before  # one's own file
    client = client_for("hr")
    client.get("/discipline/file/li/")
    client.get("/discipline/file/li/export.pdf")
    reads = AuditEntry.objects.filter(action="discipline.file.read").order_by("seq")
    assert reads.count() == before + 2 and reads.last().actor_name == "hr"


def test_the_board_masks_names_and_shows_the_viewers_team(client_for, world, procedure):
    A.review(world.users["hr"], procedure["other"])
    page = client_for("wang").get("/discipline/board/?period=2026-03").content.decode()
    assert "李*" in page and "李明" not in page
    assert "赵" not in page  # another team's board
    page = client_for("hr").get("/discipline/board/?period=2026-03").content.decode()
    assert "李明" in page  # HR sees full names


def test_a_late_appeal_is_refused_on_the_form_with_the_closing_day(client_for, world, procedure):
    import time_machine

    n = procedure["notice"]
    with time_machine.travel("2026-12-31 10:00 +0800", tick=False):
        client = client_for("li")
        response = client.post("/appeals/new/", {"target": f"notice:{n.pk}", "reason": "迟交"})
    assert response.status_code == 200
    assert "申诉期已于" in response.content.decode() or "closed on" in response.content.decode()


def test_the_agent_finds_the_appeal_link_on_their_own_ledger_only(client_for, world, procedure):
    [entry] = procedure["notice"].proposal.agent.ledger_entries.all()
    mine = client_for("li").get("/ledger/agents/li/").content.decode()
    assert f'data-testid="appeal-entry:{entry.pk}"' in mine
    theirs = client_for("sup1").get("/ledger/agents/li/").content.decode()
    assert "appeal-entry:" not in theirs
