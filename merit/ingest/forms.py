"""The upload form: one or more files and an optional column profile."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merit.engine.package.profiles import list_profiles


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".zip,.xlsx,.csv,.parquet"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


def profile_choices() -> list[tuple[str, str]]:
    return [("", _("None: files named like the package tables (tickets.csv, …)"))] + [
        (p.name, f"{p.title} ({p.name})") for p in list_profiles()
    ]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("A zip of CSV files, an XLSX workbook, or one CSV file per table."),
    )
    profile = forms.ChoiceField(
        label=_("Column profile"),
        required=False,
        help_text=_("For a platform export whose headers are Chinese (千牛, 京东, 退款, 工单 …)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = profile_choices()
