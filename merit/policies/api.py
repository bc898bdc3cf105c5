"""Policies in the API: everyone with a role reads them; HR and admins add versions."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from merit.api.common import Input, Message, Page, PageQuery, field_error, page
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.engine.policy.load import PolicyError
from merit.policies import actions
from merit.policies.models import PolicyVersion

router = Router(tags=["policies 考核方案"])


class PolicyOut(Schema):
    policy_id: str = Field(description="方案编号 S1…S10、S6-FD 或自定义 a preset id or a custom slug")
    name: str
    title_zh: str
    title_en: str
    latest_version: int
    effective_from: date = Field(description="最新版本的生效日期 the latest version's effective date")
    preset: bool = Field(description="最新版本为预置文本 the latest version is the shipped preset")
    sha256: str


class VersionOut(Schema):
    policy_id: str
    version: int
    name: str
    title_zh: str
    title_en: str
    effective_from: date
    sha256: str = Field(
        description="文本的 SHA-256（与引擎一致） SHA-256 of the text, as the engine computes it"
    )
    preset: bool
    note: str
    created_by: str | None = Field(description="保存人用户名，预置为 null the saving user; null for presets")
    created_at: datetime


class VersionDetail(VersionOut):
    text: str = Field(description="方案 YAML 文本 the policy's YAML")
    runs: list[int] = Field(description="使用该版本的考核批次 ids of the runs that use this version")


class VersionCreate(Input):
    # The text is kept as written (no whitespace stripping: indentation is YAML's structure).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: str = Field(
        min_length=1, max_length=actions.MAX_TEXT, description="方案 YAML 文本 the policy's YAML"
    )
    effective_from: date = Field(description="生效日期，不早于最新版本 not before the latest version's date")
    note: str = Field("", max_length=2000, description="修改说明 what changed and why")
    name: str | None = Field(
        None, max_length=200, description="名称，默认取文本中的 name the name; the text's name by default"
    )


class Problem(Schema):
    type: str = "policy_error"
    loc: list[str | int]
    msg: str
    line: int | None = Field(description="文本中的行号 line of the text")
    path: str = Field(description="出错的字段路径 the field's path, e.g. scorecard.items.0.metric")
    message: str


class Problems(Schema):
    detail: list[Problem]


def version_out(v: PolicyVersion) -> dict:
    return {
        "policy_id": v.policy_id,
        "version": v.version,
        "name": v.name,
        "title_zh": v.title_zh,
        "title_en": v.title_en,
        "effective_from": v.effective_from,
        "sha256": v.sha256,
        "preset": v.preset,
        "note": v.note,
        "created_by": v.created_by.get_username() if v.created_by else None,
        "created_at": v.created_at,
    }


def version_detail(v: PolicyVersion) -> dict:
    runs = list(v.runs.order_by("pk").values_list("pk", flat=True))
    return version_out(v) | {"text": v.text, "runs": runs}


def policy_out(v: PolicyVersion) -> dict:
    return {
        "policy_id": v.policy_id,
        "name": v.name,
        "title_zh": v.title_zh,
        "title_en": v.title_en,
        "latest_version": v.version,
        "effective_from": v.effective_from,
        "preset": v.preset,
        "sha256": v.sha256,
    }


def _reader(request) -> None:
    if not actions.may_read(request.auth):
        raise PermissionDenied(
            "没有角色的账号不能查看考核方案 An account without a role may not read policies"
        )


def _versions(policy_id: str):
    return PolicyVersion.objects.filter(policy_id=policy_id).select_related("created_by")


@router.get("", response={200: Page[PolicyOut], 403: Message}, summary="考核方案列表 List policies")
def list_policies(request, query: Query[PageQuery]):
    """每个方案一行，带最新版本及其生效日期；预置方案（S1…S10、S6-FD）首次读取时写入。
    One row per policy with its latest version and effective date; the presets are stored on first read."""
    _reader(request)
    actions.ensure_presets()
    latest = sorted(actions.latest_versions(), key=lambda v: actions.sort_key(v.policy_id))
    return page(latest, query, policy_out)


@router.get(
    "/{policy_id}/versions",
    response={200: Page[VersionOut], 403: Message, 404: Message},
    summary="方案的版本 Versions of a policy",
)
def list_versions(request, policy_id: str, query: Query[PageQuery]):
    """最新版本在前（不含文本）。 Newest first, without the texts."""
    _reader(request)
    versions = _versions(policy_id).order_by("-version")
    if not versions.exists():
        raise Http404
    return page(versions, query, version_out)


@router.get(
    "/{policy_id}/versions/{version}",
    response={200: VersionDetail, 403: Message, 404: Message},
    summary="一个版本 One version",
)
def get_version(request, policy_id: str, version: int):
    """文本、SHA-256、生效日期，以及使用它的考核批次。 The text, its SHA-256, the effective date and the runs."""
    _reader(request)
    return version_detail(get_object_or_404(_versions(policy_id), version=version))


@router.post(
    "/{policy_id}/versions",
    response={201: VersionDetail, 403: Message, 409: Message, 422: Problems},
    summary="新建版本 Create a version",
)
@idempotent
def create_version(request, policy_id: str, payload: VersionCreate, idempotency_key: IdempotencyKey = None):
    """仅人力资源/管理员。文本须通过引擎校验（422 逐条列出问题及行号）且与最新版本不同（否则 409）；
    新的方案编号即新建自定义方案（小写字母、数字、连字符）。
    HR and admins only. The engine must accept the text (422 lists every problem with its line) and it
    must differ from the latest version (409 otherwise); a new policy id creates a custom policy (a slug
    of lower-case letters, digits and hyphens)."""
    try:
        created = actions.create_version(
            request.auth, policy_id, payload.text, payload.effective_from, payload.note, name=payload.name
        )
    except PolicyError as e:
        return Status(422, {"detail": [_problem(p) for p in e.problems]})
    except (actions.Unchanged, actions.VersionConflict) as e:
        return Status(409, {"detail": str(e)})
    except ValidationError as e:
        if "policy_id" in e.message_dict:
            raise field_error("path", "policy_id", msg=e.message_dict["policy_id"][0]) from None
        raise
    return Status(201, version_detail(created))


def _problem(p) -> dict:
    where = f"line {p.line}" if p.line else "policy"
    return {
        "type": "policy_error",
        "loc": ["body", "payload", "text"],
        "msg": f"{where} ({p.path}): {p.message}" if p.path else f"{where}: {p.message}",
        "line": p.line,
        "path": p.path,
        "message": p.message,
    }
