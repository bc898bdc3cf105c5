"""Import pages: the list, the upload form, and an import's progress and report.

HR and admins see every import, supervisors their own uploads (merit.ingest.queries); agents and users
without a role get 403, another user's import answers 404.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from merit.engine.export import safe_text
from merit.ingest import actions
from merit.ingest.forms import UploadForm
from merit.ingest.models import Import, ImportState
from merit.ingest.queries import months_of, published_runs_touched, visible_imports

PROBLEMS_PER_PAGE = 100
IMPORTS_PER_PAGE = 50

STAGES = {
    actions.QUEUED: gettext_lazy("Waiting for the worker"),
    actions.UNPACKING: gettext_lazy("Unpacking the files"),
    actions.READING: gettext_lazy("Reading the files"),
    actions.VALIDATING: gettext_lazy("Checking every row"),
    actions.WRITING: gettext_lazy("Writing to the database"),
    actions.DONE: gettext_lazy("Done"),
}
STATE_LABELS = {
    ImportState.QUEUED: gettext_lazy("Queued"),
    ImportState.RUNNING: gettext_lazy("Importing"),
    ImportState.SUCCEEDED: gettext_lazy("Imported"),
    ImportState.FAILED: gettext_lazy("Rejected, nothing applied"),
    ImportState.DUPLICATE: gettext_lazy("Already imported"),
    ImportState.PREVIEWED: gettext_lazy("Preview: awaiting confirmation"),
    ImportState.DISCARDED: gettext_lazy("Discarded, nothing applied"),
}


def _importer(request) -> None:
    if not actions.may_import(request.user):
        raise PermissionDenied(_("Only HR, admins and supervisors may import data."))


def _running(imp: Import) -> bool:
    return imp.state in (ImportState.QUEUED, ImportState.RUNNING)


def _context(imp: Import) -> dict:
    return {
        "imp": imp,
        "running": _running(imp),
        "state_label": STATE_LABELS.get(imp.state, imp.state),
        "stage_label": STAGES.get(imp.stage, imp.stage),
    }


@login_required
@require_GET
def import_list(request):
    _importer(request)
    page = Paginator(visible_imports(request.user), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [_context(imp) for imp in page.object_list]
    return render(request, "ingest/list.html", {"page": page, "rows": rows})


class _UploadLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes MERIT_IMPORT_MAX_BYTES: nothing beyond the limit
    reaches memory or disk (the rest of the request is read and thrown away, so the answer arrives)."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.request_length = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        self.request_length = content_length or 0
        if self.request_length > self.limit + 1024 * 1024:  # + the form's own fields
            self.exceeded = True
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


@login_required
@csrf_exempt  # the check runs in _upload, once the size limit is in place (Django's documented way)
@require_http_methods(["GET", "POST"])
def import_new(request):
    _importer(request)
    limit = None
    if request.method == "POST":
        limit = _UploadLimit(settings.MERIT_IMPORT_MAX_BYTES, request)
        request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


@csrf_protect
def _upload(request, limit: _UploadLimit | None):
    if request.method != "POST":
        return render(request, "ingest/new.html", {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if limit is not None and limit.exceeded:
        size = max(limit.received, limit.request_length)
        context = {"form": UploadForm(), "upload_error": actions.too_large_message(size, limit.limit)}
        return render(request, "ingest/new.html", context, status=413)
    if form.is_valid():
        try:
            imp = actions.submit_import(
                request.user, form.cleaned_data["files"], form.cleaned_data["profile"], preview=True
            )
        except ValidationError as e:
            form.add_error("files", e)
        else:
            if imp.state == ImportState.DUPLICATE:
                messages.info(request, _("This file was imported before: nothing to add."))
            return redirect("ingest:detail", pk=imp.pk)
    return render(request, "ingest/new.html", {"form": form}, status=400)


@login_required
@require_GET
def import_detail(request, pk: int):
    _importer(request)
    imp = get_object_or_404(visible_imports(request.user), pk=pk)
    page = Paginator(imp.problems or [], PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    summary = [
        {"table": t, **{k: c.get(k, 0) for k in ("read", "inserted", "updated", "unchanged")}}
        for t, c in (imp.summary or {}).items()
    ]
    totals = {k: sum(r[k] for r in summary) for k in ("read", "inserted", "updated", "unchanged")}
    months = sorted(months_of(imp))
    runs = (
        published_runs_touched(set(months))
        if imp.state in (ImportState.PREVIEWED, ImportState.SUCCEEDED)
        else []
    )
    context = _context(imp) | {
        "page": page,
        "summary": summary,
        "totals": totals,
        "changes": [(t, rows) for t, rows in (imp.changes or {}).items() if rows],
        "months": months,
        "published_runs": runs,
        "may_confirm": imp.state == ImportState.PREVIEWED,
    }
    return render(request, "ingest/detail.html", context)


@login_required
@require_POST
def import_decide(request, pk: int, decision: str):
    """Confirm a preview (apply it) or discard it."""
    _importer(request)
    imp = get_object_or_404(visible_imports(request.user), pk=pk)
    try:
        if decision == "confirm":
            actions.confirm_import(request.user, imp)
            messages.success(request, _("Confirmed: the import is being applied."))
        else:
            actions.discard_import(request.user, imp)
            messages.info(request, _("Discarded: nothing was applied."))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("ingest:detail", pk=imp.pk)


@login_required
@require_GET
def import_progress(request, pk: int):
    """The progress bar, polled by htmx every second while the import is queued or running."""
    _importer(request)
    imp = get_object_or_404(visible_imports(request.user), pk=pk)
    if not _running(imp) and request.htmx:
        return HttpResponseClientRefresh()  # done: show the whole report
    return render(request, "ingest/_progress.html", _context(imp))


@login_required
@require_GET
def import_problems_csv(request, pk: int):
    """Every listed problem as CSV (UTF-8 with BOM for Excel); cells never evaluate as formulas."""
    _importer(request)
    imp = get_object_or_404(visible_imports(request.user), pk=pk)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["表 table", "行 row", "列 column", "值 value", "原因 reason"])
    for p in imp.problems or []:
        row = p.get("row")
        w.writerow(
            [
                safe_text(str(p.get("table") or "")),
                "" if row is None else int(row),
                safe_text(str(p.get("column") or "")),
                safe_text("" if p.get("value") is None else str(p["value"])),
                safe_text(str(p.get("reason") or "")),
            ]
        )
    response = HttpResponse(
        ("\ufeff" + buf.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-problems.csv"'
    return response
