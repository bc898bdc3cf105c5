"""The people list's filters (GET): every value is checked, a wrong one is named next to its field."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from merit.web.labels import EMPLOYMENT, POSITIONS

ACTIVE = ""  # the default: people currently employed
LEFT = "left"
EVERYONE = "all"


class PeopleFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    team = forms.ChoiceField(label=_("Team"), required=False)
    role = forms.ChoiceField(
        label=_("Position"), required=False, choices=[("", _("All positions")), *POSITIONS.items()]
    )
    employment = forms.ChoiceField(
        label=_("Employment"), required=False, choices=[("", _("All kinds")), *EMPLOYMENT.items()]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(ACTIVE, _("Active")), (LEFT, _("Left")), (EVERYONE, _("Everyone"))],
    )

    def __init__(self, data, teams: QuerySet):
        super().__init__(data)
        self.fields["team"].choices = [("", _("All teams")), *((t.team_id, t.name) for t in teams)]

    def apply(self, agents: QuerySet) -> QuerySet:
        """``agents`` narrowed by every valid filter (an invalid one is left out and shown as an error)."""
        self.is_valid()
        f = self.cleaned_data
        if q := f.get("q", "").strip():
            agents = agents.filter(Q(agent_id__icontains=q) | Q(name__icontains=q))
        if team := f.get("team"):
            agents = agents.filter(team__team_id=team)
        if role := f.get("role"):
            agents = agents.filter(role=role)
        if employment := f.get("employment"):
            agents = agents.filter(employment=employment)
        status = f.get("status", ACTIVE)
        if status == ACTIVE:
            agents = agents.filter(active=True)
        elif status == LEFT:
            agents = agents.filter(active=False)
        return agents
