"""Report pages: what one may export (a run's scorecards, a month's payroll), one's export jobs with their
progress, and the download of a finished file.

Thin: scope from merit.reports.queries (on merit.org.access), writes are merit.reports.actions. Agents
and users without a role get 403 on every page; a run or an export outside what one may see answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from merit.assessment.views import STATE_LABELS
from merit.reports import actions
from merit.reports import queries as Q
from merit.reports.forms import ExportForm
from merit.reports.models import Export, Kind
from merit.reports.xlsx import CONTENT_TYPES
from merit.web.feedback import refused

RUNS_SHOWN = 100
JOBS_SHOWN = 20


def _jobs_context(user) -> dict:
    exports = list(Export.objects.filter(requested_by=user)[:JOBS_SHOWN])
    return {"exports": exports, "polling": any(e.in_flight for e in exports)}


def _home(request, form: ExportForm | None = None, status: int = 200):
    user = request.user
    runs = [
        {"run": r, "state_label": STATE_LABELS.get(r.state, r.state)}
        for r in Q.exportable_runs(user).select_related("policy_version")[:RUNS_SHOWN]
    ]
    context = {
        "runs": runs,
        "months": Q.payroll_months(user),
        "form": form,
        "direct_rows": actions.direct_rows(),
        "kinds": Kind,
    } | _jobs_context(user)
    return render(request, "reports/home.html", context, status=status)


@login_required
@require_GET
def home(request):
    actions.require_exporter(request.user)
    return _home(request)


@login_required
@require_POST
def export(request):
    user = request.user
    actions.require_exporter(user)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _home(request, form, status=400)
    kind, params = form.cleaned_data["kind"], form.params()
    if kind == Kind.SCORECARDS:
        get_object_or_404(Q.exportable_runs(user), pk=params["run"])  # another team's or unknown: 404
    try:
        if actions.row_count(user, kind, params) <= actions.direct_rows():
            f = actions.export_now(user, kind, **params)
            response = HttpResponse(f.data, content_type=f.content_type)
            response["Content-Disposition"] = f'attachment; filename="{f.name}"'
            return response
        job = actions.request_export(user, kind, **params)
    except ValidationError as e:
        refused(request, e)
        return redirect("reports:home")
    messages.success(
        request,
        _("Export #%(n)d is being written in the background: it appears below when ready.") % {"n": job.pk},
    )
    return redirect("reports:home")


@login_required
@require_GET
def jobs(request):
    """The list of one's exports, polled by htmx every second while one is queued or being written."""
    actions.require_exporter(request.user)
    return render(request, "reports/_exports.html", _jobs_context(request.user))


@login_required
@require_GET
def download(request, pk: int):
    job = get_object_or_404(Export, pk=pk)
    if not actions.may_download(request.user, job) or not job.file:
        raise Http404
    response = FileResponse(
        actions.download(request.user, job),
        as_attachment=True,
        filename=job.file_name,
        content_type=CONTENT_TYPES.get(job.format),
    )
    return response
