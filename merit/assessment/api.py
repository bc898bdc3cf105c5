"""Runs: request an assessment, follow it, review it (submit, approve, reject, publish) and read its
results with every explanation.

Writes go through merit.assessment.actions (the same actions as the pages). Who sees which run and
result is merit.assessment.queries (on merit.org.access): out of scope answers 404, in scope but not
allowed 403, a run no longer in the state an action needs (someone acted first, four-eyes, another
publication in the way) 409 with a detail saying why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from merit.api.common import SHANGHAI, Input, Message, Page, PageQuery, body_error, page
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.assessment import actions
from merit.assessment.models import AgentResult, Run, RunState
from merit.assessment.queries import superseded_by, visible_results, visible_runs
from merit.policies.models import PolicyVersion

router = Router(tags=["runs 考核批次"])


class RunCreate(Input):
    policy_id: str = Field(min_length=1, max_length=64, description="方案编号 e.g. S5")
    version: int | None = Field(
        None, ge=1, description="方案版本；省略则用首月生效的版本 the version in force for the first month"
    )
    first_period: str = Field(description="首月 YYYY-MM")
    last_period: str | None = Field(None, description="末月 YYYY-MM（省略 = 首月）; omitted: the first month")
    corrects: int | None = Field(
        None, description="更正的已发布批次编号 the id of the published run this run corrects"
    )


class Reason(Input):
    reason: str = Field(min_length=1, max_length=actions.MAX_REASON, description="驳回理由 why")


class PublishIn(Input):
    override_reason: str = Field(
        "",
        max_length=actions.MAX_REASON,
        description="暂定结果仍发布的理由（暂定批次必填） why provisional results are published now "
        "(required when the run is provisional)",
    )


class RunLinks(Schema):
    self: str
    results: str


class RunOut(Schema):
    id: int
    state: str = Field(
        description="queued, computing, failed, computed, submitted, approved, rejected, published, "
        "duplicate (same as duplicate_of)"
    )
    progress: int = Field(description="进度 0–100")
    stage: str
    policy_id: str
    policy_version: int
    policy_sha256: str
    first_period: str
    last_period: str
    input_sha256: str = Field(description="输入指纹 fingerprint of the facts read")
    output_sha256: str = Field(description="结果哈希 results.json output_sha256")
    state_from: int | None = Field(description="起始状态来自的已发布批次 the published run it starts from")
    corrects: int | None
    corrected_by: int | None = Field(description="已发布的更正批次 the published run that corrected it")
    duplicate_of: int | None
    error: str
    reject_reason: str
    coverage: list[dict[str, Any]] | None = Field(
        description="每月数据覆盖：各表行数、有数据的客服数、此前月份的通常行数 per month: rows per table, "
        "agents with data, the usual rows of the months before (docs/runs.md)"
    )
    provisional: list[str] = Field(
        description="暂定原因（空：正式） why the results are provisional (empty: final)"
    )
    publish_override: str | None = Field(description="暂定仍发布的理由 the reason given to publish it anyway")
    agents: int = Field(description="结果行数 result rows (agent × month)")
    created_by: str
    created_at: datetime
    computed_at: datetime | None
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_at: datetime | None
    published_by: str | None
    published_at: datetime | None
    links: RunLinks


class AgentResultOut(Schema):
    run: int
    period: str
    agent_id: str
    team_id: str
    score: str | None = Field(description="得分（字符串） a decimal string")
    grade: str
    bonus: str | None = Field(description="绩效奖金（元，字符串） a decimal string")
    result: dict[str, Any] = Field(
        description="该客服在 results.json 中的全部内容，含每一行的解释 the agent's entry of results.json "
        "with every explanation (docs/results.md)"
    )


class RunQuery(PageQuery):
    state: RunState | None = None
    policy_id: str | None = None
    period: str | None = Field(None, description="含此月的批次 runs covering this month (YYYY-MM)")


class ResultQuery(PageQuery):
    period: str | None = None
    team_id: str | None = None
    agent_id: str | None = None


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else timezone.localtime(dt, SHANGHAI)


def _name(user) -> str | None:
    return None if user is None else user.get_username()


def run_out(run: Run) -> RunOut:
    """``run`` as the API shows it; ``agent_count`` and ``corrected_by_id`` come from ``_runs``'s
    annotations (one query for a whole page)."""
    if hasattr(run, "corrected_by_id"):
        corrected = run.corrected_by_id
    else:
        newer = superseded_by(run) if run.state == RunState.PUBLISHED else None
        corrected = newer.pk if newer else None
    agents = run.agent_count if hasattr(run, "agent_count") else run.agent_results.count()
    return RunOut(
        id=run.pk,
        state=run.state,
        progress=run.progress,
        stage=run.stage,
        policy_id=run.policy_version.policy_id,
        policy_version=run.policy_version.version,
        policy_sha256=run.policy_version.sha256,
        first_period=run.first_period,
        last_period=run.last_period,
        input_sha256=run.input_sha256,
        output_sha256=run.output_sha256,
        state_from=run.state_from_id,
        corrects=run.corrects_id,
        corrected_by=corrected,
        duplicate_of=run.duplicate_of_id,
        error=run.error,
        reject_reason=run.reject_reason,
        coverage=run.coverage,
        provisional=run.provisional or [],
        publish_override=run.publish_override,
        agents=agents,
        created_by=run.created_by.get_username(),
        created_at=_local(run.created_at),
        computed_at=_local(run.computed_at),
        submitted_by=_name(run.submitted_by),
        submitted_at=_local(run.submitted_at),
        approved_by=_name(run.approved_by),
        approved_at=_local(run.approved_at),
        rejected_by=_name(run.rejected_by),
        rejected_at=_local(run.rejected_at),
        published_by=_name(run.published_by),
        published_at=_local(run.published_at),
        links=RunLinks(
            self=reverse("api:run_detail", kwargs={"run_id": run.pk}),
            results=reverse("api:run_results", kwargs={"run_id": run.pk}),
        ),
    )


def result_out(row: AgentResult) -> AgentResultOut:
    return AgentResultOut(
        run=row.run_id,
        period=row.period,
        agent_id=row.agent_id,
        team_id=row.team_id,
        score=None if row.score is None else str(row.score),
        grade=row.grade,
        bonus=None if row.bonus is None else str(row.bonus),
        result=row.doc,
    )


def _runs(request):
    corrections = Run.objects.filter(corrects=OuterRef("pk"), state=RunState.PUBLISHED).order_by("pk")
    results = AgentResult.objects.filter(run=OuterRef("pk")).order_by().values("run")
    return (
        visible_runs(request.auth)
        .select_related("submitted_by", "approved_by", "rejected_by", "published_by")
        .annotate(
            corrected_by_id=Subquery(corrections.values("pk")[:1]),
            agent_count=Coalesce(Subquery(results.annotate(n=Count("pk")).values("n")), 0),
        )
    )


def _get(request, run_id: int) -> Run:
    return get_object_or_404(_runs(request), pk=run_id)


def _conflict(e: actions.Conflict) -> Status:
    """409 with the reason in Chinese and English, as the API's other messages."""
    return Status(409, {"detail": f"{e.text('zh-hans')} {e.text('en')}"})


def _version(payload: RunCreate) -> PolicyVersion:
    from merit.policies.actions import resolve

    if payload.version is not None:
        found = PolicyVersion.objects.filter(policy_id=payload.policy_id, version=payload.version).first()
        if found is None:
            raise body_error(
                "version",
                f"方案 {payload.policy_id} 没有版本 v{payload.version} "
                f"Policy {payload.policy_id!r} has no version {payload.version}",
            )
        return found
    try:
        return resolve(payload.policy_id, payload.first_period)
    except ValueError as e:
        raise body_error("first_period", str(e)) from e
    except PolicyVersion.DoesNotExist as e:
        raise body_error("policy_id", str(e)) from e


@router.post(
    "",
    response={200: RunOut, 202: RunOut, 403: Message, 409: Message},
    summary="请求考核 Request a run",
)
@idempotent
def create_run(request, payload: RunCreate, idempotency_key: IdempotencyKey = None):
    """人力资源/管理员：按方案版本计算一个或多个月份；后台计算，用 ``links.self`` 查看进度。
    同一方案版本、月份和输入数据的批次已存在时返回该批次（200，不重新计算）。
    HR and admins: queue the assessment of one month or a range (202; follow ``links.self``). When a run
    with the same policy version, months and input facts exists, that run is returned (200)."""
    actions.require_reviewer(request.auth)
    version = _version(payload)
    corrects = None
    if payload.corrects is not None:
        corrects = Run.objects.select_related("policy_version").filter(pk=payload.corrects).first()
        if corrects is None:
            raise body_error("corrects", f"没有批次 #{payload.corrects} No run #{payload.corrects}")
    run, created = actions.find_or_request_run(
        request.auth, version, payload.first_period, payload.last_period, corrects
    )
    return Status(202 if created else 200, run_out(_get(request, run.pk)))


@router.get("", response=Page[RunOut], summary="批次列表 List runs")
def list_runs(request, query: Query[RunQuery]):
    """可见的批次，最新在前。人力资源/管理员：全部；主管：待审批起；客服：已发布。
    The runs you see, newest first: HR and admins all; supervisors from submission on; agents published."""
    qs = _runs(request)
    if query.state is not None:
        qs = qs.filter(state=query.state)
    if query.policy_id:
        qs = qs.filter(policy_version__policy_id=query.policy_id)
    if query.period:
        qs = qs.filter(first_period__lte=query.period, last_period__gte=query.period)
    return page(qs, query, run_out)


@router.get(
    "/{int:run_id}",
    response={200: RunOut, 404: Message},
    url_name="run_detail",
    summary="批次状态 One run: state, progress, hashes, review",
)
def get_run(request, run_id: int):
    return run_out(_get(request, run_id))


def _review(request, run_id: int, act, *args):
    run = _get(request, run_id)
    try:
        act(run, request.auth, *args)
    except actions.Conflict as e:
        return _conflict(e)
    return Status(200, run_out(_get(request, run_id)))


REVIEW = {200: RunOut, 403: Message, 404: Message, 409: Message}


@router.post("/{int:run_id}/submit", response=REVIEW, summary="提交审批 Submit for approval")
def submit_run(request, run_id: int):
    """人力资源/管理员：已计算或已驳回的批次提交审批。 A computed or rejected run goes for approval."""
    return _review(request, run_id, actions.submit)


@router.post("/{int:run_id}/approve", response=REVIEW, summary="审批通过 Approve")
def approve_run(request, run_id: int):
    """人力资源/管理员，且不是提交人（四眼原则）。 HR or an admin other than the submitter (four-eyes)."""
    return _review(request, run_id, actions.approve)


@router.post("/{int:run_id}/reject", response=REVIEW, summary="驳回 Reject with a reason")
def reject_run(request, run_id: int, payload: Reason):
    """已提交或已审批的批次驳回，需写明理由；之后可再次提交。
    A submitted or approved run is sent back with a reason; it can be submitted again."""
    return _review(request, run_id, actions.reject, payload.reason)


@router.post("/{int:run_id}/publish", response=REVIEW, summary="发布 Publish")
def publish_run(request, run_id: int, payload: PublishIn | None = None):
    """已审批的批次发布并记入台账；发布后不可更改，只能由更正批次冲销重发。暂定批次（月份未结束或数据明显偏少）
    须写明仍发布的理由。
    An approved run is published and its ledger entries posted; it never changes afterwards (a
    correction run reverses and re-issues what changed). A provisional run (``provisional`` not empty)
    needs ``override_reason``."""
    return _review(request, run_id, actions.publish, payload.override_reason if payload else "")


@router.get(
    "/{int:run_id}/results",
    response={200: Page[AgentResultOut], 404: Message},
    url_name="run_results",
    summary="批次结果 Results per agent, with explanations",
)
def list_results(request, run_id: int, query: Query[ResultQuery]):
    """每位可见客服每月一行：得分、等级、奖金及 results.json 中的全部解释。客服只看到自己，主管看到本组。
    One row per agent and month you may see (an agent: their own; a supervisor: their team)."""
    run = _get(request, run_id)
    qs = visible_results(request.auth, run).order_by("period", "agent_id")
    if query.period:
        qs = qs.filter(period=query.period)
    if query.team_id:
        qs = qs.filter(team_id=query.team_id)
    if query.agent_id:
        qs = qs.filter(agent_id=query.agent_id)
    return page(qs, query, result_out)


@router.get(
    "/{int:run_id}/results/{agent_id}/{period}",
    response={200: AgentResultOut, 404: Message},
    url_name="run_agent_result",
    summary="某客服某月的结果 One agent's result for a month",
)
def get_result(request, run_id: int, agent_id: str, period: str):
    run = _get(request, run_id)
    return result_out(get_object_or_404(visible_results(request.auth, run), agent_id=agent_id, period=period))
