"""Imports: upload a data package, follow its progress, read its report of bad rows.

The upload is handed to ``merit.ingest.actions.submit_import`` (the same action as the web page), which
checks who may import, stores the files and queues the work; the answer is 202 with the links to
follow. Everyone sees their own imports; HR and admins see all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from merit.api.common import SHANGHAI, Message, Page, PageQuery, field_error, page, scope
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.engine.package.profiles import profile_names
from merit.ingest.actions import confirm_import, discard_import, submit_import
from merit.ingest.models import Import, ImportState
from merit.ingest.queries import months_of, published_runs_touched

router = Router(tags=["imports 导入"])


class ImportLinks(Schema):
    self: str
    problems: str
    confirm: str = Field(description="POST 确认预览并导入 apply a previewed import")
    discard: str = Field(description="POST 放弃预览 discard a previewed import")


class ChangeOut(Schema):
    column: str
    before: str | None
    after: str | None


class ChangedRowOut(Schema):
    key: dict[str, Any]
    changes: list[ChangeOut]


class RunRef(Schema):
    id: int
    policy_id: str
    first_period: str
    last_period: str


class ImportOut(Schema):
    id: int
    state: str = Field(
        description="queued, running, succeeded, failed (nothing applied), duplicate, "
        "previewed (待确认: checked, nothing applied until confirmed), discarded"
    )
    progress: int = Field(description="进度 0–100")
    stage: str
    source_name: str
    profile: str
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    duplicate_of: int | None = Field(
        description="重复文件时，先前导入的编号 the earlier import of the same file"
    )
    summary: dict[str, Any] = Field(
        description='每表计数 per table: {"read", "inserted", "updated", "unchanged"} '
        "(previewed: what the import would do)"
    )
    changes: dict[str, list[ChangedRowOut]] = Field(
        description="每表前几行变更（导入前后的值） a sample of changed rows per table, values before and after"
    )
    months: dict[str, list[str]] = Field(
        description="每表新增或变更行所在月份 months of the new or changed fact rows, per table"
    )
    published_runs: list[RunRef] = Field(
        description="涉及已发布批次 published runs whose months the rows change (their results stay as published)"
    )
    confirmed_by: str | None
    confirmed_at: datetime | None
    problem_count: int
    notices: list[Any]
    error: str
    links: ImportLinks


class ProblemOut(Schema):
    table: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    reason: str = ""


class ImportQuery(PageQuery):
    state: ImportState | None = None


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else timezone.localtime(dt, SHANGHAI)


def import_out(row: Import) -> ImportOut:
    return ImportOut(
        id=row.pk,
        state=row.state,
        progress=row.progress,
        stage=row.stage,
        source_name=row.source_name,
        profile=row.profile,
        created_at=_local(row.created_at),
        created_by=row.created_by.get_username(),
        started_at=_local(row.started_at),
        finished_at=_local(row.finished_at),
        duplicate_of=row.duplicate_of_id,
        summary=row.summary or {},
        changes=row.changes or {},
        months=row.months or {},
        published_runs=[
            RunRef(
                id=r.pk,
                policy_id=r.policy_version.policy_id,
                first_period=r.first_period,
                last_period=r.last_period,
            )
            for r in (
                published_runs_touched(months_of(row))
                if row.state in (ImportState.PREVIEWED, ImportState.SUCCEEDED)
                else []
            )
        ],
        confirmed_by=row.confirmed_by.get_username() if row.confirmed_by_id else None,
        confirmed_at=_local(row.confirmed_at),
        problem_count=row.problem_count,
        notices=row.notices or [],
        error=row.error,
        links=ImportLinks(
            self=reverse("api:import_detail", kwargs={"import_id": row.pk}),
            problems=reverse("api:import_problems", kwargs={"import_id": row.pk}),
            confirm=reverse("api:import_confirm", kwargs={"import_id": row.pk}),
            discard=reverse("api:import_discard", kwargs={"import_id": row.pk}),
        ),
    )


def _imports(request):
    qs = Import.objects.select_related("created_by", "confirmed_by")
    return qs if scope(request).is_manager else qs.filter(created_by=request.auth)


@router.post(
    "",
    response={202: ImportOut, 403: Message, 409: Message},
    summary="上传导入 Upload a data package",
)
@idempotent
def upload(
    request,
    files: Annotated[
        list[UploadedFile],
        File(description="zip（CSV）、XLSX 工作簿、CSV 或 Parquet 文件 a zip of CSVs, XLSX, CSV, Parquet"),
    ],
    profile: Annotated[
        str, Form(max_length=64, description="列映射方案名（可选） a shipped column profile")
    ] = "",
    dry_run: Annotated[
        bool,
        Form(
            description="预览：检查并列出将新增和变更的行，确认前不导入 "
            "preview: check and show what would be new and changed; nothing is applied until "
            "POST links.confirm"
        ),
    ] = False,
    idempotency_key: IdempotencyKey = None,
):
    """multipart/form-data 上传；导入在后台进行，用返回的链接查看进度与问题报告。
    Multipart upload; the import runs in the background: follow ``links.self`` for its progress and
    ``links.problems`` for the report of bad rows."""
    if profile and profile not in profile_names():
        # Only the shipped profiles, by name: a path would read a file on the server.
        raise field_error(
            "form",
            "profile",
            msg=f"没有列映射方案 {profile} Unknown profile; profiles: {', '.join(profile_names())}",
        )
    try:
        row = submit_import(request.auth, files, profile, preview=dry_run)
    except DjangoValidationError as e:
        raise field_error("file", "files", msg="; ".join(e.messages)) from e
    return Status(202, import_out(_imports(request).get(pk=row.pk)))


@router.get("", response=Page[ImportOut], summary="导入列表 List imports")
def list_imports(request, query: Query[ImportQuery]):
    """自己的导入；人力资源/管理员看全部，最新在前。 Your imports (HR and admins: all), newest first."""
    qs = _imports(request)
    if query.state is not None:
        qs = qs.filter(state=query.state)
    return page(qs, query, import_out)


@router.get(
    "/{int:import_id}",
    response={200: ImportOut, 404: Message},
    url_name="import_detail",
    summary="导入状态 One import: state, progress, summary",
)
def get_import(request, import_id: int):
    return import_out(get_object_or_404(_imports(request), pk=import_id))


@router.get(
    "/{int:import_id}/problems",
    response={200: Page[ProblemOut], 404: Message},
    url_name="import_problems",
    summary="问题报告 The report of bad rows",
)
def list_problems(request, import_id: int, query: Query[PageQuery]):
    """每个问题：表、行号、列、值、原因，按文件顺序。
    Every problem: table, row, column, value and reason, in file order."""
    row = get_object_or_404(_imports(request), pk=import_id)
    return page(row.problems or [], query)


@router.post(
    "/{int:import_id}/confirm",
    response={202: ImportOut, 403: Message, 404: Message, 409: Message},
    url_name="import_confirm",
    summary="确认预览 Apply a previewed import",
)
def confirm(request, import_id: int):
    """把预览过的导入应用到数据中；若预览后数据已变，则不导入并说明原因。
    Apply a previewed import (state ``previewed``): it makes exactly the changes its preview showed, or,
    if the data in merit changed since, nothing (state ``failed`` saying so)."""
    row = get_object_or_404(_imports(request), pk=import_id)
    try:
        confirm_import(request.auth, row)
    except DjangoValidationError as e:
        raise HttpError(409, "该导入不在待确认状态 " + "; ".join(e.messages)) from e
    return Status(202, import_out(_imports(request).get(pk=row.pk)))


@router.post(
    "/{int:import_id}/discard",
    response={200: ImportOut, 403: Message, 404: Message, 409: Message},
    url_name="import_discard",
    summary="放弃预览 Discard a previewed import",
)
def discard(request, import_id: int):
    """放弃预览，不导入任何数据。 Discard a previewed import: nothing is applied."""
    row = get_object_or_404(_imports(request), pk=import_id)
    try:
        discard_import(request.auth, row)
    except DjangoValidationError as e:
        raise HttpError(409, "该导入不在待确认状态 " + "; ".join(e.messages)) from e
    return import_out(_imports(request).get(pk=row.pk))
