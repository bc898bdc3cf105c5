"""The pages where supervisors enter what they judge: the manual scores grid and an incident form
(merit.ingest.entry does the work; supervisors see their own team, HR and admins every team)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from merit.engine import tables as T
from merit.engine.metrics.compute import Period
from merit.ingest import entry
from merit.org.models import Agent

SHANGHAI = ZoneInfo("Asia/Shanghai")
PREFERRED = ("S5", "S6", "S10")  # presets with manual items, offered first


def _entrant(request) -> None:
    if not entry.may_enter(request.user):
        raise PermissionDenied(_("Only supervisors, HR and admins enter scores and incidents."))


def _previous_month() -> str:
    return str(Period.parse(timezone.localdate().strftime("%Y-%m")).shift(-1))


def _policies(period: str) -> list[tuple[str, object, list]]:
    """(policy id, version in force for ``period``, its manual items) of every policy that has some."""
    from merit.policies.actions import resolve
    from merit.policies.models import PolicyVersion

    out = []
    ids = sorted(
        set(PolicyVersion.objects.values_list("policy_id", flat=True)),
        key=lambda p: (p not in PREFERRED, PREFERRED.index(p) if p in PREFERRED else 0, p),
    )
    for pid in ids:
        try:
            version = resolve(pid, period)
        except (PolicyVersion.DoesNotExist, ValueError):
            continue
        items = entry.manual_items(version)
        if items:
            out.append((pid, version, items))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def scores(request):
    _entrant(request)
    data = request.POST if request.method == "POST" else request.GET
    period = (data.get("period") or _previous_month()).strip()
    if not entry.MONTH.match(period):
        messages.error(request, _("A month is written YYYY-MM, e.g. 2026-03."))
        period = _previous_month()
    teams = list(entry.teams_for(request.user))
    team = next((t for t in teams if t.team_id == data.get("team")), teams[0] if teams else None)
    policies = _policies(period)
    chosen = next((p for p in policies if p[0] == data.get("policy")), policies[0] if policies else None)
    context = {"period": period, "teams": teams, "team": team, "policies": policies, "chosen": chosen}
    if team is None or chosen is None:
        return render(request, "ingest/scores.html", context)
    policy_id, version, items = chosen
    agents = list(Agent.objects.filter(team=team, active=True).order_by("agent_id"))
    stored = entry.stored_scores(team, period, items)
    typed, errors, status = {}, [], 200
    if request.method == "POST":
        cells = {
            (a.agent_id, i.item): request.POST.get(f"s__{a.agent_id}__{i.item}", "")
            for a in agents
            for i in items
        }
        try:
            imp = entry.save_scores(request.user, version, team.team_id, period, cells)
        except ValidationError as e:
            errors, typed, status = e.messages, cells, 400
        else:
            if imp is None:
                messages.info(request, _("Nothing changed."))
            else:
                counts = imp.summary.get("manual_scores", {})
                messages.success(
                    request,
                    _("Saved: %(new)d new, %(changed)d changed, %(removed)d removed.")
                    % {
                        "new": counts.get("inserted", 0),
                        "changed": counts.get("updated", 0),
                        "removed": counts.get("removed", 0),
                    },
                )
            url = reverse("ingest:scores")
            return redirect(f"{url}?policy={policy_id}&period={period}&team={team.team_id}")
    rows = []
    for a in agents:
        cells = []
        for i in items:
            key = (a.agent_id, i.item)
            value = typed[key] if typed else ("" if key not in stored else _plain(stored[key]))
            cells.append({"name": f"s__{a.agent_id}__{i.item}", "value": value, "item": i})
        rows.append({"agent": a, "cells": cells})
    context |= {"items": items, "rows": rows, "errors": errors, "version": version}
    return render(request, "ingest/scores.html", context, status=status)


def _plain(value) -> str:
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


class IncidentForm(forms.Form):
    agent = forms.ChoiceField(label=gettext_lazy("Agent"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"))
    at = forms.DateTimeField(
        label=gettext_lazy("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    severity = forms.CharField(
        label=gettext_lazy("Severity"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("Only where the policy reads it, e.g. minor, major, hard."),
    )
    loss_amount = forms.DecimalField(
        label=gettext_lazy("Loss (yuan)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(
        label=gettext_lazy("What happened (reason)"),
        max_length=entry.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.FileField(
        label=gettext_lazy("Evidence (optional)"),
        required=False,
        help_text=gettext_lazy("A screenshot, a PDF, a chat export: at most 10 MB."),
    )

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [
            (a.agent_id, f"{a.name} ({a.agent_id}) · {a.team.team_id}") for a in agents
        ]
        self.fields["kind"].choices = [(k, f"{v} · {k}") for k, v in T.INCIDENT_KINDS.items()]


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request):
    _entrant(request)
    agents = list(
        Agent.objects.filter(team__in=entry.teams_for(request.user), active=True)
        .select_related("team")
        .order_by("team__team_id", "agent_id")
    )
    if request.method == "POST":
        form = IncidentForm(request.POST, request.FILES, agents=agents)
        if form.is_valid():
            d = form.cleaned_data
            at = d["at"]
            if at is not None and timezone.is_naive(at):
                at = at.replace(tzinfo=SHANGHAI)
            try:
                imp = entry.record_incident(
                    request.user,
                    d["agent"],
                    d["kind"],
                    at,
                    d["note"],
                    severity=d.get("severity") or "",
                    loss_amount=d.get("loss_amount"),
                    evidence=d.get("evidence"),
                )
            except ValidationError as e:
                for field, errs in e.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, _("The incident was recorded."))
                return redirect(f"{reverse('ingest:incident_new')}?done={imp.pk}")
        status = 400
    else:
        form = IncidentForm(
            agents=agents, initial={"at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        status = 200
    return render(
        request, "ingest/incident.html", {"form": form, "recent": _recent(request.user)}, status=status
    )


def _recent(user) -> list:
    """The latest incidents of the user's teams (10), with the evidence kept for each."""
    from merit.facts.models import Incident
    from merit.ingest.models import Evidence

    rows = list(
        Incident.objects.filter(agent__team__in=entry.teams_for(user))
        .select_related("agent")
        .order_by("-at")[:10]
    )
    kept = {}
    for ev in Evidence.objects.filter(incident_id__in=[r.incident_id for r in rows]):
        kept.setdefault(ev.incident_id, []).append(ev)
    return [
        {
            "incident": r,
            "label": T.INCIDENT_KINDS.get(r.kind, r.kind),
            "evidence": kept.get(r.incident_id, []),
        }
        for r in rows
    ]


@login_required
def evidence_file(request, pk: int):
    """One evidence file, for those who may enter for the incident's team (as an attachment, never inline)."""
    from django.http import FileResponse, Http404

    from merit.facts.models import Incident
    from merit.ingest.models import Evidence

    _entrant(request)
    ev = Evidence.objects.filter(pk=pk).first()
    incident = (
        Incident.objects.filter(incident_id=ev.incident_id).select_related("agent").first() if ev else None
    )
    if incident is None or not entry.teams_for(request.user).filter(pk=incident.agent.team_id).exists():
        raise Http404
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.MEDIA_ROOT) / ev.stored_path
    if not path.is_file():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=ev.name)  # noqa: SIM115 — FileResponse closes it
