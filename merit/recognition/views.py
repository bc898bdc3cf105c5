"""Pages of the selections: the list, opening one, and a selection with its eligibility, the vote
(while open: nobody sees counts), the candidates and the approval chain."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merit.org.access import scope_of, visible_teams
from merit.org.models import Agent
from merit.recognition import actions as A
from merit.recognition.models import Selection, SelectionKind, SelectionState
from merit.web.feedback import refused


def visible_selections(user):
    return Selection.objects.filter(team__in=visible_teams(user)).select_related("team", "winner")


@login_required
def selection_list(request):
    if scope_of(request.user).role is None:
        raise PermissionDenied(_("Your account has no role in merit yet."))
    teams = [t for t in visible_teams(request.user) if A.may_open(request.user, t)]
    return render(
        request,
        "recognition/list.html",
        {
            "selections": visible_selections(request.user)[:100],
            "teams": teams,
            "kinds": SelectionKind.choices,
            "period": timezone.localtime().strftime("%Y-%m"),
        },
    )


@login_required
@require_POST
def selection_open(request):
    team = get_object_or_404(visible_teams(request.user), team_id=request.POST.get("team", ""))
    try:
        sel = A.open_selection(
            request.user,
            team,
            request.POST.get("kind", ""),
            request.POST.get("period", ""),
            request.POST.get("amount") or "200.00",
        )
    except (ValidationError, PermissionDenied, ArithmeticError) as e:
        refused(request, e)
        return redirect("recognition:list")
    return redirect("recognition:detail", sel.pk)


@login_required
def selection_detail(request, pk: int):
    sel = get_object_or_404(visible_selections(request.user), pk=pk)
    u = request.user
    voting = sel.state == SelectionState.VOTING
    manager_view = scope_of(u).role in ("supervisor", "hr", "admin")
    me = A.voter_agent(u, sel)
    listed = [e["agent_id"] for e in sel.eligibility] + [c["agent_id"] for c in sel.tally]
    names = dict(Agent.objects.filter(agent_id__in=listed).values_list("agent_id", "name"))
    checks = [e | {"name": names.get(e["agent_id"], e["agent_id"])} for e in sel.eligibility]
    if not manager_view:  # colleagues' reasons (leave, fines) are theirs: an agent sees only their own
        checks = [e for e in checks if me is not None and e["agent_id"] == me.agent_id]
    return render(
        request,
        "recognition/detail.html",
        {
            "sel": sel,
            "names": names,
            "choices": [(a, names.get(a, a)) for a in sel.eligible if not me or a != me.agent_id],
            "eligibility": checks,
            "manager_view": manager_view,
            "may_vote": A.may_vote(u, sel),
            "voted": voting and me is not None and not A.may_vote(u, sel),
            "may_close": voting and A.may_open(u, sel.team),
            "may_review": A.may_review(u, sel),
            "may_rate": A.may_rate(u, sel),
            "may_approve": A.may_approve(u, sel),
            "candidates": [c | {"name": names.get(c["agent_id"], c["agent_id"])} for c in sel.candidates],
            "tally": [c | {"name": names.get(c["agent_id"], c["agent_id"])} for c in sel.tally],
        },
    )


@login_required
@require_POST
def selection_act(request, pk: int, action: str):
    sel = get_object_or_404(visible_selections(request.user), pk=pk)
    note = request.POST.get("note", "")
    try:
        if action == "vote":
            A.vote(request.user, sel, request.POST.get("candidate", ""))
            messages.success(request, _("Your vote is in. It is secret: nobody can see whom you chose."))
        elif action == "close":
            A.close(request.user, sel)
        elif action == "review":
            A.review(request.user, sel, note)
        elif action == "rate":
            A.rate(request.user, sel, request.POST.get("winner", ""), note)
        elif action == "approve":
            A.approve(request.user, sel, note)
        elif action == "reject":
            A.reject(request.user, sel, note)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    return redirect("recognition:detail", sel.pk)
