"""Forms of the desk's pages: queue filters, a new case, and each action's few fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.tickets.models import Channel, Kind, Priority, Status, TransferReason

BREACH_CHOICES = [
    ("", _("Any")),
    ("breached", _("Breached")),
    ("near", _("Near breach")),
    ("exempted", _("Exempted")),
]


class QueueFilter(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open")), *Status.choices, ("all", _("All"))]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices])
    breach = forms.ChoiceField(label=_("SLA"), required=False, choices=BREACH_CHOICES)
    team = forms.ChoiceField(label=_("Team"), required=False)
    unassigned = forms.BooleanField(label=_("Unassigned only"), required=False)

    def __init__(self, data, teams):
        super().__init__(data)
        self.fields["team"].choices = [("", _("All teams"))] + [(t.team_id, t.name) for t in teams]

    def value(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else None


class CaseForm(forms.Form):
    team = forms.ChoiceField(label=_("Team"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("What the customer wrote"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    order_ref = forms.CharField(label=_("Order number"), max_length=64, required=False)
    order_amount = forms.DecimalField(
        label=_("Order amount (CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    customer_name = forms.CharField(label=_("Customer"), max_length=100, required=False)
    customer_contact = forms.CharField(label=_("Customer contact"), max_length=200, required=False)
    partner_merchant = forms.CharField(
        label=_("Partner merchant"),
        max_length=100,
        required=False,
        help_text=_("Handled by a partner merchant: track it to the end."),
    )

    def __init__(self, data, teams):
        super().__init__(data)
        self.fields["team"].choices = [(t.team_id, t.name) for t in teams]


class TextForm(forms.Form):
    text = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class OptionalTextForm(forms.Form):
    text = forms.CharField(
        label=_("Content"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class TransferForm(forms.Form):
    agent = forms.ChoiceField(label=_("To"))
    reason = forms.ChoiceField(label=_("Reason"), choices=TransferReason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, data, agents):
        super().__init__(data)
        self.fields["agent"].choices = [(a.agent_id, f"{a.name} ({a.agent_id})") for a in agents]


class AssignForm(forms.Form):
    agent = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, data, agents):
        super().__init__(data)
        self.fields["agent"].choices = [(a.agent_id, f"{a.name} ({a.agent_id})") for a in agents]


class ExemptForm(forms.Form):
    which = forms.ChoiceField(
        choices=[("first_response", _("First response")), ("resolution", _("Resolution"))]
    )
    text = forms.CharField(label=_("Approved reason"), max_length=500)


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your request?"),
        choices=[(5, "5"), (4, "4"), (3, "3"), (2, "2"), (1, "1")],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=1000,
    )
