from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.discipline.models import ProcedureSettings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ProposalForm(forms.Form):
    agent = forms.ChoiceField(label=_("Agent"))
    item = forms.ChoiceField(label=_("Item of the catalogue"))
    amount = forms.CharField(label=_("Amount (CNY or points)"), max_length=20)
    period = forms.RegexField(label=_("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7)
    facts = forms.CharField(label=_("Facts"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    evidence = MultipleFileField(label=_("Evidence (images or PDF)"), required=False)

    def __init__(self, *args, agents=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "—")] + [
            (a.agent_id, f"{a.name} ({a.agent_id})") for a in agents
        ]
        groups: dict[str, list] = {}
        for it in items:
            amount = f"{it.minimum}" if it.fixed else f"{it.minimum}–{it.maximum}"
            unit = "元" if it.book == "money" else "分"
            groups.setdefault(it.policy or _("Manual"), []).append((it.id, f"{it.label} · {amount}{unit}"))
        self.fields["item"].choices = [("", "—")] + [(g, opts) for g, opts in groups.items()]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ProcedureSettings
        fields = [
            "manager_amount",
            "manager_points",
            "appeal_file_days",
            "appeal_answer_days",
            "board_masking",
            "evidence_max_kb",
        ]
