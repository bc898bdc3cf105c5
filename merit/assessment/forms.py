"""The forms of the run pages: a new run, a rejection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.assessment.actions import MAX_REASON
from merit.policies.models import PolicyVersion

MONTH_PATTERN = r"\d{4}-\d{2}"


def policy_choices() -> list[tuple[str, str]]:
    """Every stored policy, presets first (the version in force for the month is chosen by the run)."""
    from merit.policies.actions import sort_key

    ids = set(PolicyVersion.objects.values_list("policy_id", flat=True).distinct())
    names = dict(PolicyVersion.objects.order_by("policy_id", "version").values_list("policy_id", "name"))
    return [(pid, f"{pid} · {names.get(pid, '')}") for pid in sorted(ids, key=sort_key)]


class RunForm(forms.Form):
    policy_id = forms.ChoiceField(label=_("Policy"))
    version = forms.IntegerField(
        label=_("Version"),
        required=False,
        min_value=1,
        help_text=_("Empty: the version in force in the first month."),
    )
    first_period = forms.RegexField(
        label=_("First month"),
        regex=MONTH_PATTERN,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-03"}),
    )
    last_period = forms.RegexField(
        label=_("Last month"),
        regex=MONTH_PATTERN,
        max_length=7,
        required=False,
        help_text=_("Empty: the first month only."),
        widget=forms.TextInput(attrs={"placeholder": "2026-03"}),
    )
    corrects = forms.IntegerField(
        label=_("Corrects run #"),
        required=False,
        min_value=1,
        help_text=_("Only to correct a published run: its number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_id"].choices = policy_choices()


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2, "required": True})
    )
