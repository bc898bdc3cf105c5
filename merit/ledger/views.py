"""Ledger pages: an agent's own ledger, a supervisor's team (balances per agent, then one agent's entries),
HR and admins everyone. Read only; the scope comes from merit.org.access."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from merit.ledger.forms import AgentFilter, OverviewFilter
from merit.ledger.models import Book, LedgerEntry
from merit.ledger.posting import MONEY, POINTS
from merit.ledger.queries import balances, book_totals, period_totals, visible_entries, with_reversal
from merit.org.access import ALL, NONE, OWN, scope_of, visible_agents, visible_teams

PAGE_SIZE = 50


@login_required
def home(request):
    """Agents go to their own ledger; supervisors, HR and admins see the balances of everyone in scope."""
    user = request.user
    scope = scope_of(user)
    if scope.kind == OWN:
        agent_id = visible_agents(user).values_list("agent_id", flat=True).get()
        return redirect("ledger:agent", agent_id=agent_id)
    if scope.kind == NONE:
        return render(request, "ledger/overview.html", {"no_role": True})
    form = OverviewFilter(request.GET, visible_teams(user))
    agents = form.apply(visible_agents(user)).select_related("team").order_by("agent_id")
    page = Paginator(agents, PAGE_SIZE).get_page(request.GET.get("page"))
    as_of = form.as_of_period
    entries = visible_entries(user)
    by_agent: dict[str, dict] = {}
    for row in balances([a.agent_id for a in page], as_of_period=as_of, entries=entries):
        by_agent.setdefault(row["agent_id"], {"entries": 0})[row["book"]] = row["balance"]
        by_agent[row["agent_id"]]["entries"] += row["entries"]
    scoped = entries.filter(agent__in=agents)
    if as_of:
        scoped = scoped.filter(period__lte=as_of)
    totals = book_totals(scoped)
    context = {
        "form": form,
        "page": page,
        "rows": [(a, by_agent.get(a.agent_id, {})) for a in page],
        "totals": totals,
        "as_of": as_of,
        "show_team_filter": scope.kind == ALL,
    }
    return render(request, "ledger/overview.html", context)


@login_required
def agent_ledger(request, agent_id: str):
    """One agent's entries by month, newest first, with each month's total and the balance at its end per
    book; a reversal links to the entry it reverses. Out of scope: 404."""
    user = request.user
    agent = get_object_or_404(visible_agents(user).select_related("team"), agent_id=agent_id)
    entries = visible_entries(user).filter(agent_id=agent.agent_id)
    totals = period_totals(entries)
    periods = sorted({t["period"] for t in totals}, reverse=True)
    form = AgentFilter(request.GET, periods)
    shown = with_reversal(entries)
    if period := form.value("period"):
        shown = shown.filter(period=period)
    if book := form.value("book"):
        shown = shown.filter(book=book)
    months: dict[str, dict] = {}
    for t in totals:
        if (period and t["period"] != period) or (book and t["book"] != book):
            continue
        month = months.setdefault(t["period"], {"period": t["period"], "books": [], "entries": []})
        month["books"].append({**t, "label": Book(t["book"]).label})  # points before money
    for e in shown.order_by("-period", "-book", "pk"):  # "-book": points before money
        months[e.period]["entries"].append(_entry_row(e))
    balance = {}
    for t in totals:  # in period order: the last running balance of each book is its balance
        balance[t["book"]] = t["balance"]
    context = {
        "agent": agent,
        "form": form,
        "months": [months[p] for p in sorted(months, reverse=True)],
        "balance": {b: balance.get(b, Decimal("0.00")) for b in (POINTS, MONEY)},
        "back": scope_of(user).kind != OWN,
    }
    return render(request, "ledger/agent.html", context)


def _entry_row(e: LedgerEntry) -> dict:
    return {
        "entry": e,
        "category": e.get_category_display(),
        "book": e.get_book_display(),
        "sources": [_source_text(s) for s in e.source],
        "credit": e.amount > 0,
    }


def _source_text(row: dict) -> str:
    """A source row in words: ``incidents IN0000000188``, or a metric's parts ``ratings · csat 2026-01: 21/21``."""
    if "id" in row:
        return f"{row.get('table', '')} {row['id']}".strip()
    parts = [row.get("table", ""), "·", row.get("metric", ""), row.get("period", "")]
    text = " ".join(p for p in parts if p)
    if row.get("num") is not None:
        text += f": {row['num']}" + (f"/{row['den']}" if row.get("den") is not None else "")
    return text
