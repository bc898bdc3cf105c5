"""The writes of the reports: an export streamed at once, an export requested for the background, the
worker writing it, a download. Every one writes its audit row.

Small exports (at most ``MERIT_EXPORT_DIRECT_ROWS`` rows, 500 by default) are written in the request and
streamed; larger ones become an :class:`Export` that the task worker writes, reporting its progress.
The worker builds the table with the requester's scope as it is when the task runs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.assessment.models import Run
from merit.audit.log import record
from merit.org.access import scope_of
from merit.reports import queries as Q
from merit.reports.models import Export, ExportState, Format, Kind
from merit.reports.xlsx import CONTENT_TYPES, WRITERS, Table

logger = logging.getLogger(__name__)

DIRECT_ROWS = 500  # default of settings.MERIT_EXPORT_DIRECT_ROWS
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def direct_rows() -> int:
    return int(getattr(settings, "MERIT_EXPORT_DIRECT_ROWS", DIRECT_ROWS))


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes
    rows: int


def require_exporter(user) -> None:
    if not Q.may_export(user):
        raise PermissionDenied(_("Exports are for supervisors, HR and admins."))


def clean_params(user, kind: str, params: dict) -> dict:
    """The parameters of an export, checked: ``{"run": pk, "format": …}`` or ``{"period": …, "format": …}``.
    A run the user may not export is refused as if it did not exist."""
    fmt = params.get("format", Format.XLSX)
    if fmt not in Format.values:
        raise ValidationError(_("Unknown format %(f)s.") % {"f": fmt})
    if kind == Kind.SCORECARDS:
        try:
            pk = int(params.get("run"))
        except (TypeError, ValueError):
            raise ValidationError(_("Choose a run.")) from None
        if not Q.exportable_runs(user).filter(pk=pk).exists():
            raise ValidationError(_("There is no run #%(n)d to export.") % {"n": pk})
        return {"run": pk, "format": fmt}
    if kind == Kind.PAYROLL:
        period = str(params.get("period") or "")
        if not PERIOD.match(period):
            raise ValidationError(_("A month is written YYYY-MM."))
        return {"period": period, "format": fmt}
    raise ValidationError(_("Unknown export %(k)s.") % {"k": kind})


def _run(pk: int) -> Run:
    return Run.objects.select_related("policy_version").get(pk=pk)


def row_count(user, kind: str, params: dict) -> int:
    if kind == Kind.SCORECARDS:
        return Q.scorecard_count(user, _run(params["run"]))
    return Q.payroll_count(user, params["period"])


def build(user, kind: str, params: dict, progress=None) -> tuple[Table, str]:
    """The table and the file name of an export, with ``user``'s scope."""
    fmt = params["format"]
    if kind == Kind.SCORECARDS:
        run = _run(params["run"])
        return Q.scorecard_table(user, run, progress), Q.scorecard_file_name(user, run, fmt)
    return Q.payroll_table(user, params["period"], progress), Q.payroll_file_name(user, params["period"], fmt)


def _detail(kind: str, params: dict, **more) -> dict:
    return {"kind": kind, "params": params, **more}


def export_now(user, kind: str, **params) -> File:
    """Write a small export in the request (no Export row) and record it."""
    require_exporter(user)
    params = clean_params(user, kind, params)
    table, name = build(user, kind, params)
    data = WRITERS[params["format"]](table)
    record(
        user,
        "reports.export",
        None,
        detail=_detail(
            kind, params, rows=len(table.rows), file=name, sha256=hashlib.sha256(data).hexdigest()
        ),
    )
    return File(name, CONTENT_TYPES[params["format"]], data, len(table.rows))


def request_export(user, kind: str, *, enqueue: bool = True, **params) -> Export:
    """Queue an export for the worker (enqueued once the transaction commits) and record the request."""
    require_exporter(user)
    params = clean_params(user, kind, params)
    with transaction.atomic():
        export = Export.objects.create(
            requested_by=user,
            kind=kind,
            params={k: v for k, v in params.items() if k != "format"},
            format=params["format"],
        )
        record(
            user,
            "reports.export.request",
            export,
            after={"state": export.state},
            detail=_detail(kind, params),
        )
        if enqueue:
            transaction.on_commit(lambda: enqueue_export(export.pk))
    return export


def enqueue_export(export_id: int) -> None:
    from merit.reports.tasks import write_export_task

    write_export_task.enqueue(export_id)


def _progress(export_id: int, share: float, low: int = 5, high: int = 90) -> None:
    percent = low + int((high - low) * max(0.0, min(1.0, share)))
    Export.objects.filter(pk=export_id, state=ExportState.RUNNING).update(progress=percent)


def write_export(export_id: int) -> Export:
    """Write the queued export ``export_id`` (else leave it as it is) and return it: build the table
    (progress 5 → 50 %), write the file (50 → 90 %), store it (100 %). Any error leaves it failed."""
    claimed = Export.objects.filter(pk=export_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, progress=2, started_at=timezone.now(), error=""
    )
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    if not claimed:
        return export
    try:
        _write(export)
    except Exception as e:
        logger.exception("export %s failed", export_id)
        _fail(export, f"{type(e).__name__}: {e}")
    export.refresh_from_db()
    return export


def _write(export: Export) -> None:
    user = export.requested_by
    params = {**export.params, "format": export.format}
    if not Q.may_export(user):
        raise PermissionDenied("the requester may no longer export")
    table, name = build(user, export.kind, params, lambda s: _progress(export.pk, s, 5, 50))
    _progress(export.pk, 1.0, 5, 50)
    data = WRITERS[export.format](table, lambda s: _progress(export.pk, s, 50, 90))
    stored = default_storage.save(f"exports/{uuid.uuid4().hex}/{name}", ContentFile(data))
    with transaction.atomic():
        done = Export.objects.filter(pk=export.pk, state=ExportState.RUNNING).update(
            state=ExportState.DONE,
            progress=100,
            rows=len(table.rows),
            file=stored,
            file_name=name,
            size=len(data),
            finished_at=timezone.now(),
        )
        if not done:  # failed meanwhile (an interrupted worker's recovery): keep no file
            default_storage.delete(stored)
            return
        record(
            None,
            "reports.export.done",
            export,
            before={"state": ExportState.RUNNING},
            after={"state": ExportState.DONE},
            detail=_detail(
                export.kind,
                params,
                requested_by=user.pk,
                rows=len(table.rows),
                file=name,
                sha256=hashlib.sha256(data).hexdigest(),
            ),
        )


def _fail(export: Export, message: str) -> None:
    with transaction.atomic():
        failed = Export.objects.filter(
            pk=export.pk, state__in=(ExportState.QUEUED, ExportState.RUNNING)
        ).update(state=ExportState.FAILED, error=message[:5000], progress=100, finished_at=timezone.now())
        if failed:
            record(
                None,
                "reports.export.failed",
                export,
                after={"state": ExportState.FAILED},
                detail=_detail(export.kind, export.params, error=message[:500]),
            )


def fail_interrupted_exports() -> int:
    """Mark as failed the exports a stopped worker left running (their files were never stored)."""
    n = 0
    for export in Export.objects.filter(state=ExportState.RUNNING):
        _fail(export, "interrupted: the worker stopped while writing")
        n += 1
    return n


def may_download(user, export: Export) -> bool:
    """The requester (while they may still export) or HR and admins."""
    scope = scope_of(user)
    if not Q.may_export(user):
        return False
    return export.requested_by_id == user.pk or scope.sees_all


def download(user, export: Export):
    """The stored file of a done export, opened, after recording who downloaded it."""
    if not may_download(user, export) or export.state != ExportState.DONE or not export.file:
        raise PermissionDenied(_("This export is not yours to download."))
    record(user, "reports.export.download", export, detail={"file": export.file_name})
    return export.file.open("rb")
