"""The personnel file (人事档案) of one agent: every published scorecard, the points and money books,
fines, warnings with the ladder's state, titles and levels, proposals, notices, appeals and their
outcomes; and its exports (XLSX, PDF). Reading another person's file is audited (docs/discipline.md)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from merit.assessment.models import AgentResult, RunState
from merit.discipline.models import Kind, Notice, Proposal, State
from merit.discipline.pdf import Section, render
from merit.engine.export import safe_text
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.ledger.queries import period_totals
from merit.org.models import Agent


@dataclass
class PersonnelFile:
    agent: Agent
    results: list = field(default_factory=list)  # AgentResult rows of published runs, newest first
    totals: list = field(default_factory=list)  # per period and book: sums of the ledgers
    balance: dict = field(default_factory=dict)  # book → balance
    fines: list = field(default_factory=list)  # money entries of category fine (and their reversals)
    warnings: dict | None = None  # the latest published ladder state (results.json "warnings")
    warning_notices: list = field(default_factory=list)  # notices in effect that issued a warning
    levels: list = field(default_factory=list)  # (period, level from → to, reason)
    titles: list = field(default_factory=list)  # (period, title, rule)
    proposals: list = field(default_factory=list)  # visible to the agent: approved, in effect, decided
    notices: list = field(default_factory=list)
    appeals: list = field(default_factory=list)


def build(agent: Agent) -> PersonnelFile:
    from merit.appeals.models import Appeal

    f = PersonnelFile(agent)
    f.results = list(
        AgentResult.objects.filter(agent=agent, run__state=RunState.PUBLISHED)
        .select_related("run__policy_version")
        .order_by("-period", "-run_id")
    )
    entries = LedgerEntry.objects.filter(agent=agent)
    f.totals = period_totals(entries)
    f.balance = {b: Decimal(0) for b in P.BOOKS}
    for book, amount in entries.values_list("book", "amount"):
        f.balance[book] += amount
    f.fines = list(entries.filter(book=P.MONEY, category=P.FINE).order_by("-period", "-pk")[:500])
    for r in f.results:
        doc = r.doc or {}
        if f.warnings is None and doc.get("warnings"):
            f.warnings = doc["warnings"]
        lv = doc.get("level") or {}
        if lv.get("from") or lv.get("to"):
            f.levels.append((r.period, lv.get("from"), lv.get("to"), lv.get("reason", "")))
        for flag in doc.get("flags") or []:
            if flag.get("flag") == "title" or flag.get("title"):
                f.titles.append((r.period, flag.get("title") or flag.get("rule"), flag.get("reason", "")))
    f.proposals = list(
        Proposal.objects.filter(agent=agent)
        .filter(Q(state__in=(State.APPROVED, State.EFFECTIVE, State.DECIDED)) | Q(kind=Kind.DECISION))
        .order_by("-proposed_at")
    )
    f.notices = list(
        Notice.objects.filter(proposal__agent=agent).select_related("proposal").order_by("-issued_at")
    )
    f.warning_notices = [n for n in f.notices if n.in_effect and n.proposal.warning_level]
    f.appeals = list(Appeal.objects.filter(agent=agent).order_by("-filed_at"))
    return f


def _rows(f: PersonnelFile) -> dict[str, tuple[list[str], list[list]]]:
    """Sheet name → (header, rows): one model for the XLSX and the PDF."""
    return {
        "考核结果 results": (
            ["月份 period", "方案 policy", "批次 run", "得分 score", "等级 grade", "奖金 bonus"],
            [[r.period, str(r.run.policy_version), r.run_id, r.score, r.grade, r.bonus] for r in f.results],
        ),
        "台账 books": (
            ["月份 period", "账本 book", "合计 total", "月末余额 balance"],
            [[t["period"], t["book"], t["total"], t["balance"]] for t in f.totals],
        ),
        "罚款 fines": (
            ["月份 period", "规则 rule", "说明 label", "金额 amount", "来源 origin"],
            [[e.period, e.rule, e.label, e.amount, e.origin or f"run:{e.run_id}"] for e in f.fines],
        ),
        "警告 warnings": (
            ["处罚单 notice", "级别 level", "生效 in effect", "事由 item"],
            [
                [
                    n.number,
                    n.proposal.warning_level,
                    timezone.localtime(n.effective_at).strftime("%Y-%m-%d"),
                    n.proposal.item_label,
                ]
                for n in f.warning_notices
            ],
        ),
        "级别与称号 levels and titles": (
            ["月份 period", "类别 kind", "内容 value", "原因 reason"],
            [[p, "级别 level", f"{a or ''} → {b or ''}", r] for p, a, b, r in f.levels]
            + [[p, "称号 title", t, r] for p, t, r in f.titles],
        ),
        "奖惩 rewards and penalties": (
            [
                "编号 id",
                "月份 period",
                "类型 kind",
                "条目 item",
                "金额 amount",
                "状态 state",
                "决定 decision",
            ],
            [
                [
                    p.pk,
                    p.period,
                    p.get_kind_display(),
                    p.item_label,
                    p.amount,
                    p.get_state_display(),
                    p.decision,
                ]
                for p in f.proposals
            ],
        ),
        "处罚单 notices": (
            ["编号 number", "签发 issued", "状态 state", "申诉截止 appeal until", "金额 amount"],
            [
                [
                    n.number,
                    n.issued_on.isoformat(),
                    n.get_state_display(),
                    n.appeal_until.isoformat(),
                    n.proposal.amount,
                ]
                for n in f.notices
            ],
        ),
        "申诉 appeals": (
            [
                "编号 id",
                "对象 on",
                "提交 filed",
                "答复期限 answer by",
                "状态 state",
                "结果 outcome",
                "更正金额 corrected",
            ],
            [
                [
                    a.pk,
                    a.target_label,
                    timezone.localtime(a.filed_at).strftime("%Y-%m-%d"),
                    a.answer_due.isoformat(),
                    a.get_state_display(),
                    a.get_outcome_display() if a.outcome else "",
                    a.corrected_amount,
                ]
                for a in f.appeals
            ],
        ),
    }


def _cell(v):
    if v is None:
        return None
    if isinstance(v, Decimal | int):
        return v
    return safe_text(str(v))


def to_xlsx(f: PersonnelFile) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="E8ECF2")
    for title, (header, rows) in _rows(f).items():
        ws = wb.create_sheet(title[:31])
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(vertical="center")
        for row in rows:
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, min(40, len(h) + 4))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(f: PersonnelFile) -> bytes:
    a = f.agent
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sections = [
        Section(
            "基本信息 Profile",
            rows=[
                ("客服 Agent", f"{a.name} ({a.agent_id})"),
                ("团队 Team", str(a.team)),
                ("积分余额 Points balance", str(f.balance.get(P.POINTS))),
                ("金额合计 Money total (CNY)", str(f.balance.get(P.MONEY))),
            ],
        )
    ]
    for title, (header, rows) in _rows(f).items():
        sections.append(
            Section(title, table=[header] + [["" if v is None else str(v) for v in r] for r in rows])
        )
    return render(f"人事档案 Personnel file · {a.name}", f"merit · {now} (Asia/Shanghai)", sections)
