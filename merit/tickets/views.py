"""The desk's pages: my queue, the team queue, a new case, the case page with its actions, and the
customer's survey (no sign-in). Views parse input, call merit.tickets.actions, render."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merit.api.actions import Conflict
from merit.org.access import NONE, OWN, scope_of, visible_teams
from merit.tickets import access, actions, clock, queries
from merit.tickets.forms import (
    AssignForm,
    CaseForm,
    ExemptForm,
    OptionalTextForm,
    QueueFilter,
    SurveyForm,
    TextForm,
    TransferForm,
)
from merit.tickets.models import Case, CaseMessage, Status
from merit.tickets.survey import read_token, survey_path

PAGE_SIZE = 50


def _rows(cases, now):
    return [
        {
            "case": c,
            "fr": clock.first_response_state(c, now),
            "res": clock.resolution_state(c, now),
            "due": c.first_response_due_at if c.first_response_at is None else c.resolution_due_at,
        }
        for c in cases
    ]


@login_required
def queue(request, which: str = "mine"):
    user = request.user
    scope = scope_of(user)
    if scope.kind == NONE:
        raise Http404
    if which == "mine" and scope.kind != OWN:
        # supervisors, HR and admins hold no cases: they work from the team queue
        query = request.GET.urlencode()
        return redirect(reverse("tickets:team") + (f"?{query}" if query else ""))
    now = timezone.now()
    teams = list(visible_teams(user))
    form = QueueFilter(request.GET, teams)
    status = form.value("status") or ""
    qs = queries.queue(
        user,
        now,
        mine=which == "mine",
        status="" if status == "all" else status,
        open_only=status == "",
        kind=form.value("kind") or "",
        breach=form.value("breach") or "",
        team_id=form.value("team") or "",
        unassigned=bool(form.value("unassigned")),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "which": which,
        "form": form,
        "page": page,
        "rows": _rows(page, now),
        "show_team": len(teams) > 1,
        "can_open": any(access.may_open_for(user, t) for t in teams),
    }
    return render(request, "tickets/queue.html", context)


@login_required
def new_case(request):
    teams = [t for t in visible_teams(request.user) if access.may_open_for(request.user, t)]
    if not teams:
        raise Http404
    form = CaseForm(request.POST or None, teams)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = next(t for t in teams if t.team_id == data.pop("team"))
        try:
            case = actions.open_case(team=team, by=request.user, **data)
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Case %(id)s opened.") % {"id": case.ticket_id})
            return redirect("tickets:case", ticket_id=case.ticket_id)
    return render(request, "tickets/new.html", {"form": form})


def _case(request, ticket_id: str) -> Case:
    qs = access.visible_cases(request.user).select_related("team", "assignee", "resolved_by")
    return get_object_or_404(qs, ticket_id=ticket_id)


@login_required
def case_page(request, ticket_id: str):
    user = request.user
    case = _case(request, ticket_id)
    now = timezone.now()
    teammates = list(case.team.agents.filter(active=True).order_by("agent_id"))
    history = CaseMessage.objects.filter(case=case).select_related("author").order_by("at", "id")
    transfers = case.transfers.select_related("from_agent", "to_agent", "by").order_by("at", "id")
    context = {
        "case": case,
        "history": history,
        "transfers": transfers,
        "fr": clock.first_response_state(case, now),
        "res": clock.resolution_state(case, now),
        "contact": access.mask_contact(case.customer_contact),
        "customer": access.mask_contact(case.customer_name) if case.customer_name else "",
        "works": access.works(user, case),
        "supervises": access.supervises(user, case),
        "may_reveal": access.may_reveal(user, case) and bool(case.customer_contact),
        "transfer_form": TransferForm(None, [a for a in teammates if a.pk != case.assignee_id]),
        "assign_form": AssignForm(None, teammates),
        "survey_url": request.build_absolute_uri(survey_path(case))
        if case.status == Status.CLOSED and case.survey_nonce
        else "",
        "survey": getattr(case, "survey", None) if hasattr(case, "survey") else None,
        "Status": Status,
    }
    return render(request, "tickets/case.html", context)


def _agent_of_team(case: Case, agent_id: str):
    agent = case.team.agents.filter(agent_id=agent_id).first()
    if agent is None:
        raise ValidationError({"agent": _("Not an agent of this team.")})
    return agent


ACTIONS = {
    "reply": (TextForm, lambda case, f, u: actions.reply(case, f["text"], by=u)),
    "note": (TextForm, lambda case, f, u: actions.add_note(case, f["text"], by=u)),
    "customer": (TextForm, lambda case, f, u: actions.customer_message(case, f["text"], by=u)),
    "wait": (TextForm, lambda case, f, u: actions.wait_on_customer(case, f["text"], by=u)),
    "resume": (None, lambda case, f, u: actions.resume(case, by=u)),
    "resolve": (OptionalTextForm, lambda case, f, u: actions.resolve(case, f["text"], by=u)),
    "close": (None, lambda case, f, u: actions.close(case, by=u)),
    "reopen": (TextForm, lambda case, f, u: actions.reopen(case, f["text"], by=u)),
    "exempt": (ExemptForm, lambda case, f, u: actions.exempt(case, f["which"], f["text"], by=u)),
}


def _field_errors(form) -> list[str]:
    """Errors named by the field's label ("回复内容: 这个字段是必填项。"), not by its code name."""
    out = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else None
        out.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return out


@login_required
@require_POST
def act(request, ticket_id: str, action: str):
    """One action of the case page; errors come back as a message on the case page, nothing lost."""
    case = _case(request, ticket_id)
    user = request.user
    try:
        if action in ACTIONS:
            form_class, call = ACTIONS[action]
            data = {}
            if form_class is not None:
                form = form_class(request.POST)
                if not form.is_valid():
                    raise ValidationError(_field_errors(form))
                data = form.cleaned_data
            call(case, data, user)
        elif action == "transfer":
            form = TransferForm(request.POST, case.team.agents.all())
            if not form.is_valid():
                raise ValidationError(_field_errors(form))
            to = _agent_of_team(case, form.cleaned_data["agent"])
            actions.transfer(
                case, to, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], by=user
            )
        elif action == "assign":
            form = AssignForm(request.POST, case.team.agents.all())
            if not form.is_valid():
                raise ValidationError(_field_errors(form))
            actions.assign(case, _agent_of_team(case, form.cleaned_data["agent"]), by=user)
        elif action == "shirking":
            moved = get_object_or_404(case.transfers, pk=request.POST.get("transfer"))
            actions.confirm_shirking(moved.pk, request.POST.get("note", ""), by=user)
        else:
            raise Http404
    except PermissionDenied:
        messages.error(request, _("You may not do this on this case."))
    except Conflict as e:
        messages.error(request, str(e))
    except ValidationError as e:
        messages.error(request, "; ".join(e.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("tickets:case", ticket_id=case.ticket_id)


@login_required
@require_POST
def reveal(request, ticket_id: str):
    """The full contact for the assignee and HR (audited), as a small JSON answer for the page."""
    case = _case(request, ticket_id)
    try:
        contact = actions.reveal_contact(case, by=request.user)
    except PermissionDenied:
        return JsonResponse({"detail": _("You may not see this contact.")}, status=403)
    return JsonResponse({"customer_contact": contact})


def survey(request, token: str):
    """The customer's one-question survey: no sign-in, the link is signed; one answer per case."""
    found = read_token(token)
    case = Case.objects.filter(pk=found[0]).select_related("team").first() if found else None
    if case is None or case.survey_nonce != found[1]:
        return render(request, "tickets/survey.html", {"invalid": True}, status=404)
    if hasattr(case, "survey"):
        return render(request, "tickets/survey.html", {"done": True, "case": case})
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(Conflict):  # answered in another tab a moment ago: the same thank-you
            actions.answer_survey(case.pk, found[1], form.cleaned_data["score"], form.cleaned_data["comment"])
        return render(request, "tickets/survey.html", {"done": True, "case": case})
    return render(request, "tickets/survey.html", {"form": form, "case": case})
