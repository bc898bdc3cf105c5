"""The editor's form: the text, its effective date and a note; a new policy also names its id."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.policies.actions import MAX_TEXT


class VersionForm(forms.Form):
    text = forms.CharField(
        label=_("Policy text (YAML)"),
        max_length=MAX_TEXT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "yaml", "wrap": "off"}),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Applies to every month starting on or after this date; not before the latest version's."
        ),
    )
    note = forms.CharField(
        label=_("What changed and why"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    base_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class NewPolicyForm(VersionForm):
    policy_id = forms.CharField(
        label=_("Policy id"),
        max_length=64,
        help_text=_("Lower-case letters, digits and hyphens, starting with a letter, e.g. after-sales-2027."),
    )
    field_order = ["policy_id", "text", "effective_from", "note"]


class StartForm(forms.Form):
    """Step one of a new policy: its id and the policy whose latest text it starts from."""

    policy_id = NewPolicyForm.base_fields["policy_id"]
    base = forms.ChoiceField(label=_("Start from"))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base"].choices = list(choices)
