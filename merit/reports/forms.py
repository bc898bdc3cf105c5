"""The export form: what to export (a run's scorecards or a month's payroll) and in which format."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.reports.models import Format, Kind


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Export"), choices=Kind.choices)
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.XLSX)
    run = forms.IntegerField(label=_("Run"), required=False, min_value=1)
    period = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("A month is written YYYY-MM.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.SCORECARDS and not data.get("run"):
            self.add_error("run", _("Choose a run."))
        if data.get("kind") == Kind.PAYROLL and not data.get("period"):
            self.add_error("period", _("Choose a month."))
        return data

    def params(self) -> dict:
        d = self.cleaned_data
        if d["kind"] == Kind.SCORECARDS:
            return {"run": d["run"], "format": d["format"]}
        return {"period": d["period"], "format": d["format"]}
