"""The ledger pages' filters (GET): a wrong value is named next to its field and left out."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from merit.ledger.models import Book

PERIOD = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("Enter a month as YYYY-MM, e.g. 2026-03."))


class OverviewFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    team = forms.ChoiceField(label=_("Team"), required=False)
    as_of = forms.CharField(label=_("Up to month"), required=False, max_length=7, validators=[PERIOD])

    def __init__(self, data, teams: QuerySet):
        super().__init__(data)
        self.fields["team"].choices = [("", _("All teams")), *((t.team_id, t.name) for t in teams)]

    def apply(self, agents: QuerySet) -> QuerySet:
        self.is_valid()
        f = self.cleaned_data
        if q := f.get("q", "").strip():
            agents = agents.filter(Q(agent_id__icontains=q) | Q(name__icontains=q))
        if team := f.get("team"):
            agents = agents.filter(team__team_id=team)
        return agents

    @property
    def as_of_period(self) -> str | None:
        self.is_valid()
        return self.cleaned_data.get("as_of") or None


class AgentFilter(forms.Form):
    period = forms.ChoiceField(label=_("Month"), required=False)
    book = forms.ChoiceField(label=_("Book"), required=False, choices=[("", _("Both books")), *Book.choices])

    def __init__(self, data, periods: list[str]):
        super().__init__(data)
        self.fields["period"].choices = [("", _("All months")), *((p, p) for p in periods)]

    def value(self, name: str) -> str | None:
        self.is_valid()
        return self.cleaned_data.get(name) or None
