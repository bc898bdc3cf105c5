"""Ledgers in the API (GET /api/ledger/entries, /api/ledger/balances): read only.

Entries come from publishing a run or from a procedure taking effect (a penalty notice, an appeal, the
points shop), never from this API, so there is no POST, PUT or DELETE here. An agent reads their
own entries, a supervisor their team's, HR and admins all (merit.org.access); amounts are decimal
strings (+ credit to the agent, − debit).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from merit.api.common import MAX_ID, SHANGHAI, Page, PageQuery, page
from merit.ledger.models import Book
from merit.ledger.queries import balances, visible_entries, with_reversal

router = Router(tags=["ledger 台账"])

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class EntryOut(Schema):
    id: int
    agent_id: str
    book: str = Field(description="points 积分 | money 金额")
    category: str = Field(description="类别 see docs/ledgers.md")
    amount: str = Field(description="金额或分数（字符串，2 位小数）+ credit, − debit; a decimal string")
    period: str
    rule: str
    label: str
    source: list[dict] = Field(description="来源行 the source rows of the results: [{table, id}, …]")
    run: int | None = Field(description="考核批次 the run that posted it (null: a procedure's entry)")
    origin: str = Field(
        "", description="来源单据 what posted it outside a run: notice:<id>, appeal:<id>, redemption:<id>"
    )
    reverses: int | None = Field(description="冲销的原分录 the entry this one reverses")
    reversed_by: int | None = Field(description="冲销它的分录 the entry that reverses this one")
    created_at: datetime


class BalanceOut(Schema):
    agent_id: str
    book: str
    balance: str = Field(description="余额（字符串） the sum of the entries, a decimal string")
    entries: int


class EntryQuery(PageQuery):
    agent_id: str | None = Field(None, description="客服编号")
    period: str | None = Field(None, pattern=PERIOD_PATTERN, description="月份 YYYY-MM")
    book: Book | None = None
    run: int | None = Field(None, ge=1, le=MAX_ID, description="考核批次编号 run id")


class BalanceQuery(PageQuery):
    agent_id: str | None = Field(None, description="客服编号")
    book: Book | None = None
    as_of: str | None = Field(
        None, pattern=PERIOD_PATTERN, description="截至月份（含） up to and including this month"
    )


FIELDS = (
    "id",
    "agent_id",
    "book",
    "category",
    "amount",
    "period",
    "rule",
    "label",
    "source",
    "run_id",
    "origin",
    "reverses_id",
    "reversed_by",
    "created_at",
)


def _entry_out(row: dict) -> dict:
    row["amount"] = str(row["amount"])
    row["run"] = row.pop("run_id")
    row["reverses"] = row.pop("reverses_id")
    row["created_at"] = row["created_at"].astimezone(SHANGHAI)
    return row


@router.get(
    "/entries", response=Page[EntryOut], operation_id="list_ledger_entries", summary="台账分录 entries"
)
def list_entries(request, query: Query[EntryQuery]):
    """台账分录，按客服、月份、账本、编号排序。Ledger entries in scope, ordered by agent, period, book and id.
    Filters: agent_id, period, book, run."""
    qs = visible_entries(request.auth)
    if query.agent_id is not None:
        qs = qs.filter(agent_id=query.agent_id)
    if query.period is not None:
        qs = qs.filter(period=query.period)
    if query.book is not None:
        qs = qs.filter(book=query.book)
    if query.run is not None:
        qs = qs.filter(run_id=query.run)
    qs = with_reversal(qs).order_by("agent_id", "period", "book", "id").values(*FIELDS)
    return page(qs, query, _entry_out)


@router.get(
    "/balances", response=Page[BalanceOut], operation_id="list_ledger_balances", summary="余额 balances"
)
def list_balances(request, query: Query[BalanceQuery]):
    """余额 = 分录之和。Balances per agent and book in scope: the sum of the entries (up to ``as_of``)."""
    rows = balances(
        agent_ids=None if query.agent_id is None else [query.agent_id],
        book=query.book,
        as_of_period=query.as_of,
        entries=visible_entries(request.auth),
    )
    return page(rows, query, lambda row: {**row, "balance": str(row["balance"])})
