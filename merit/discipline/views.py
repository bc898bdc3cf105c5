"""Pages of the procedure: proposals, notices (HTML print page and PDF), the board (公示), the personnel
file and its exports, and the settings. Every object is fetched through the viewer's scope: another
team's proposal, notice or file answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merit.audit.log import record
from merit.discipline import actions as A
from merit.discipline import catalogue as C
from merit.discipline import personnel
from merit.discipline.forms import NoteForm, ProposalForm, SettingsForm
from merit.discipline.models import (
    Evidence,
    Kind,
    Masking,
    Notice,
    ProcedureSettings,
    Proposal,
    State,
)
from merit.discipline.pdf import Section
from merit.discipline.pdf import render as render_pdf
from merit.org.access import OWN, filter_to_user, scope_of, visible_agents
from merit.org.models import Agent
from merit.web.feedback import refused

AGENT_VISIBLE = (State.APPROVED, State.EFFECTIVE, State.DECIDED)


def visible_proposals(user):
    qs = filter_to_user(Proposal.objects.select_related("agent", "proposed_by"), user, agent="agent")
    if scope_of(user).kind == OWN:  # an agent sees what was decided about them, and every flag at once
        qs = qs.filter(Q(state__in=AGENT_VISIBLE) | Q(kind=Kind.DECISION))
    return qs


def visible_notices(user):
    return filter_to_user(Notice.objects.select_related("proposal__agent"), user, agent="proposal__agent")


def _member(request):
    if scope_of(request.user).role is None:
        raise PermissionDenied(_("Your account has no role in merit yet."))


@login_required
def proposal_list(request):
    _member(request)
    qs = visible_proposals(request.user)
    state, kind = request.GET.get("state", ""), request.GET.get("kind", "")
    if state in State.values:
        qs = qs.filter(state=state)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    s = scope_of(request.user)
    return render(
        request,
        "discipline/list.html",
        {
            "page": page,
            "states": State.choices,
            "kinds": Kind.choices,
            "state": state,
            "kind": kind,
            "may_propose": s.role in ("supervisor", "hr", "admin"),
        },
    )


@login_required
def proposal_new(request):
    s = scope_of(request.user)
    if s.role not in ("supervisor", "hr", "admin"):
        raise PermissionDenied(_("Only supervisors, HR and admins propose rewards and penalties."))
    agents = list(visible_agents(request.user).filter(active=True).order_by("team_id", "agent_id"))
    items = C.catalogue()
    initial = {"period": timezone.localtime().strftime("%Y-%m"), "agent": request.GET.get("agent", "")}
    form = ProposalForm(
        request.POST or None, request.FILES or None, agents=agents, items=items, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        agent = next(a for a in agents if a.agent_id == form.cleaned_data["agent"])
        d = form.cleaned_data
        try:
            p = A.propose(
                request.user,
                agent,
                d["item"],
                d["amount"],
                d["period"],
                d["facts"],
                d["reason"],
                d["evidence"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Proposal #%(pk)d sent to HR for review.") % {"pk": p.pk})
            return redirect("discipline:proposal", p.pk)
    return render(request, "discipline/new.html", {"form": form, "items": items})


@login_required
def proposal_detail(request, pk: int):
    p = get_object_or_404(visible_proposals(request.user), pk=pk)
    u = request.user
    notice = Notice.objects.filter(proposal=p).first()
    return render(
        request,
        "discipline/proposal.html",
        {
            "p": p,
            "notice": notice,
            "evidence": list(p.evidence.all()) if scope_of(u).kind != OWN or p.state in AGENT_VISIBLE else [],
            "may_review": A.may_review(u, p),
            "may_approve": A.may_approve(u, p),
            "may_decide": A.may_decide(u, p),
            "may_reject": A.may_reject(u, p),
            "own_proposal": u.pk == p.proposed_by_id,
            "form": NoteForm(),
        },
    )


@login_required
@require_POST
def proposal_act(request, pk: int, action: str):
    p = get_object_or_404(visible_proposals(request.user), pk=pk)
    note = request.POST.get("note", "")
    try:
        if action == "review":
            A.review(request.user, p, note)
        elif action == "approve":
            A.approve(request.user, p, note)
        elif action == "reject":
            A.reject(request.user, p, note)
        elif action in ("confirm", "dismiss"):
            A.decide(request.user, p, note, confirm=action == "confirm")
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(request, _("Saved."))
    return redirect("discipline:proposal", p.pk)


@login_required
def evidence(request, pk: int):
    e = get_object_or_404(Evidence.objects.select_related("proposal"), pk=pk)
    if not visible_proposals(request.user).filter(pk=e.proposal_id).exists():
        raise Http404
    response = FileResponse(e.file.open("rb"), content_type=e.content_type)
    response["Content-Disposition"] = f'inline; filename="evidence-{e.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


# ---- notices ----------------------------------------------------------------------------------------


@login_required
def notice_list(request):
    _member(request)
    qs = visible_notices(request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "discipline/notices.html", {"page": page})


@login_required
def notice_detail(request, pk: int):
    n = get_object_or_404(visible_notices(request.user), pk=pk)
    u = request.user
    return render(
        request,
        "discipline/notice.html",
        {
            "n": n,
            "p": n.proposal,
            "witnesses": list(n.witnesses.select_related("user")),
            "may_acknowledge": A.may_acknowledge(u, n),
            "may_refuse": A.may_record_refusal(u, n),
            "may_witness": A.may_witness(u, n),
            "may_appeal": n.proposal.agent.user_id == u.pk
            and not n.proposal.agent.appeals.filter(target_ref=f"notice:{n.pk}").exists(),
            "print": request.GET.get("print") == "1",
        },
    )


@login_required
@require_POST
def notice_act(request, pk: int, action: str):
    n = get_object_or_404(visible_notices(request.user), pk=pk)
    text = request.POST.get("note", "")
    try:
        if action == "acknowledge":
            A.acknowledge(request.user, n)
        elif action == "refuse":
            A.record_refusal(request.user, n, text)
        elif action == "witness":
            A.witness(request.user, n, text)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as e:
        refused(request, e)
    else:
        messages.success(request, _("Saved."))
    return redirect("discipline:notice", n.pk)


def notice_sections(n: Notice) -> list[Section]:
    p = n.proposal
    unit = "元 CNY" if p.book == "money" else "分 points"
    rows = [
        ("编号 Number", n.number),
        ("客服 Agent", f"{p.agent.name} ({p.agent_id})"),
        ("团队 Team", str(p.agent.team)),
        ("月份 Period", p.period),
        ("事实 Facts", p.facts),
        ("依据 Rule", p.rule),
        ("决定 Decision", f"{p.item_label}" + (f" · {p.warning_level}" if p.warning_level else "")),
        ("金额 Amount", f"{p.amount} {unit}"),
        ("理由 Reason", p.reason),
        ("签发 Issued", timezone.localtime(n.issued_at).strftime("%Y-%m-%d %H:%M")),
        ("申诉截止 Appeal until", f"{n.appeal_until.isoformat()}（工作日 working days）"),
        ("状态 State", n.get_state_display()),
    ]
    if n.acknowledged_at:
        rows.append(("签收 Acknowledged", timezone.localtime(n.acknowledged_at).strftime("%Y-%m-%d %H:%M")))
    if n.refused_at:
        rows.append(("拒签 Refused", f"{timezone.localtime(n.refused_at):%Y-%m-%d %H:%M} · {n.refusal_note}"))
    for w in n.witnesses.select_related("user"):
        rows.append(
            (
                "见证人 Witness",
                f"{w.user.get_full_name() or w.user.username} · {timezone.localtime(w.confirmed_at):%Y-%m-%d %H:%M}",
            )
        )
    return [
        Section(
            "处罚单 Penalty notice",
            rows=rows,
            note="如有异议，请在申诉截止日前在系统内提交申诉。 To appeal, file in merit before the appeal deadline.",
        )
    ]


@login_required
def notice_pdf(request, pk: int):
    n = get_object_or_404(visible_notices(request.user), pk=pk)
    data = render_pdf(f"处罚单 {n.number}", "merit · 客服奖惩 Penalty notice", notice_sections(n))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{n.number}.pdf"'
    return response


# ---- the board --------------------------------------------------------------------------------------


def mask(agent: Agent, masking: str) -> str:
    if masking == Masking.FULL:
        return agent.name
    if masking == Masking.AGENT_ID:
        return agent.agent_id
    return agent.name[:1] + "*" * max(1, len(agent.name) - 1)


@login_required
def board(request):
    _member(request)
    s = scope_of(request.user)
    settings = ProcedureSettings.current()
    period = request.GET.get("period") or timezone.localtime().strftime("%Y-%m")
    qs = Proposal.objects.filter(period=period, state=State.EFFECTIVE).select_related("agent__team")
    if not s.sees_all:  # agents and supervisors see their team's board
        from merit.org.access import visible_teams

        qs = qs.filter(agent__team__in=visible_teams(request.user))
    rows = [
        {"p": p, "name": p.agent.name if s.is_manager else mask(p.agent, settings.board_masking)}
        for p in qs.order_by("kind", "agent__team_id", "pk")
    ]
    periods = list(
        Proposal.objects.filter(state=State.EFFECTIVE)
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")[:24]
    )
    return render(
        request,
        "discipline/board.html",
        {"rows": rows, "period": period, "periods": periods, "masking": settings.get_board_masking_display()},
    )


# ---- the personnel file -----------------------------------------------------------------------------


def _file_agent(request, agent_id: str) -> Agent:
    agent = get_object_or_404(visible_agents(request.user).select_related("team"), agent_id=agent_id)
    if agent.user_id != request.user.pk:  # reading another person's file is audited
        record(request.user, "discipline.file.read", agent, detail={"view": request.resolver_match.url_name})
    return agent


@login_required
def my_file(request):
    agent = Agent.objects.filter(user=request.user).first()
    if agent is None:
        raise Http404
    return redirect("discipline:file", agent.agent_id)


@login_required
def personnel_file(request, agent_id: str):
    agent = _file_agent(request, agent_id)
    return render(request, "discipline/file.html", {"f": personnel.build(agent), "agent": agent})


@login_required
def personnel_file_export(request, agent_id: str, fmt: str):
    agent = _file_agent(request, agent_id)
    f = personnel.build(agent)
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "xlsx":
        data = personnel.to_xlsx(f)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        data, ctype = personnel.to_pdf(f), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(data, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="personnel-{agent.agent_id}-{stamp}.{fmt}"'
    return response


# ---- settings ---------------------------------------------------------------------------------------


@login_required
def settings_view(request):
    if scope_of(request.user).role != "admin":
        raise PermissionDenied(_("Only admins change the procedure's settings."))
    current = ProcedureSettings.current()
    before = {f: str(getattr(current, f)) for f in SettingsForm.Meta.fields}
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        from django.db import transaction

        with transaction.atomic():
            obj = form.save(commit=False)
            obj.updated_by = request.user
            obj.save()
            record(
                request.user,
                "discipline.settings",
                obj,
                before=before,
                after={f: str(getattr(obj, f)) for f in SettingsForm.Meta.fields},
            )
        messages.success(request, _("Settings saved."))
        return redirect("discipline:settings")
    return render(request, "discipline/settings.html", {"form": form})
