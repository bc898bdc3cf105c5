"""Run pages: the list (an agent's own months), a run with its review buttons and progress, an agent's
result for a month with every explanation, and a team's result.

Thin: who sees what is merit.assessment.queries, every write an action of merit.assessment.actions. A
run or result out of scope answers 404; a review button of someone who may not review answers 403; a
review that lost a race (or breaks the four-eyes rule) shows the reason as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from merit.assessment import actions, headline
from merit.assessment.forms import RejectForm, RunForm
from merit.assessment.models import Run, RunState
from merit.assessment.queries import (
    current_results,
    superseded_by,
    team_summary,
    visible_results,
    visible_runs,
)
from merit.engine.lookback import history_summary
from merit.engine.metrics.compute import Period
from merit.org.access import ALL, NONE, OWN, TEAM, scope_of, visible_teams
from merit.policies.models import PolicyVersion

RUNS_PER_PAGE = 50
RESULTS_PER_PAGE = 100

STATE_LABELS = {
    RunState.QUEUED: pgettext_lazy("run state", "Queued"),
    RunState.COMPUTING: pgettext_lazy("run state", "Computing"),
    RunState.FAILED: pgettext_lazy("run state", "Failed"),
    RunState.COMPUTED: pgettext_lazy("run state", "Computed"),
    RunState.SUBMITTED: pgettext_lazy("run state", "Awaiting approval"),
    RunState.APPROVED: pgettext_lazy("run state", "Approved"),
    RunState.REJECTED: pgettext_lazy("run state", "Rejected"),
    RunState.PUBLISHED: pgettext_lazy("run state", "Published"),
    RunState.DUPLICATE: pgettext_lazy("run state", "Same as an existing run"),
}
STAGES = {
    actions.QUEUED: gettext_lazy("Waiting for the worker"),
    actions.POLICY: gettext_lazy("Loading the policy"),
    actions.STATE: gettext_lazy("Finding the state carried from the month before"),
    actions.READING: gettext_lazy("Reading the facts"),
    actions.ASSESSING: gettext_lazy("Assessing"),
    actions.SAVING: gettext_lazy("Saving the results"),
    actions.DONE: gettext_lazy("Done"),
}
REVIEWS = {
    "submit": (actions.submit, gettext_lazy("Run #%(n)d was submitted for approval.")),
    "approve": (actions.approve, gettext_lazy("Run #%(n)d was approved.")),
    "reject": (actions.reject, gettext_lazy("Run #%(n)d was rejected.")),
    "publish": (actions.publish, gettext_lazy("Run #%(n)d was published and its ledger entries posted.")),
}


def _running(run: Run) -> bool:
    return run.state in actions.IN_FLIGHT


def _span(run: Run) -> str:
    return (
        run.first_period if run.first_period == run.last_period else f"{run.first_period} … {run.last_period}"
    )


def _row(run: Run) -> dict:
    return {
        "run": run,
        "span": _span(run),
        "running": _running(run),
        "state_label": STATE_LABELS.get(run.state, run.state),
        "stage_label": STAGES.get(run.stage, run.stage),
    }


def _buttons(run: Run, user) -> dict:
    """Which review buttons the user has on this run now (the action still checks, at the moment)."""
    if not actions.may_review(user):
        return {}
    return {
        "submit": run.state in (RunState.COMPUTED, RunState.REJECTED),
        "approve": run.state == RunState.SUBMITTED and run.submitted_by_id != user.pk,
        "own_submission": run.state == RunState.SUBMITTED and run.submitted_by_id == user.pk,
        "reject": run.state in (RunState.SUBMITTED, RunState.APPROVED),
        "publish": run.state == RunState.APPROVED,
    }


def _previous_month() -> str:
    return str(Period.parse(timezone.localdate().strftime("%Y-%m")).shift(-1))


# ---- list --------------------------------------------------------------------------------------------


@login_required
@require_GET
def run_list(request):
    scope = scope_of(request.user)
    if scope.kind == NONE:
        raise PermissionDenied(_("You have no role in merit yet: ask HR for one."))
    if scope.kind == OWN:
        page = Paginator(current_results(request.user), RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        return render(request, "assessment/my_results.html", {"page": page})
    return _list(
        request, RunForm(initial=_correction_initial(request) or {"first_period": _previous_month()})
    )


def _correction_initial(request) -> dict | None:
    """``?corrects=N`` (the link on a published run whose facts changed): the form filled to correct it."""
    try:
        pk = int(request.GET.get("corrects") or 0)
    except ValueError:
        return None
    run = visible_runs(request.user).filter(pk=pk, state=RunState.PUBLISHED).first() if pk else None
    if run is None:
        return None
    return {
        "policy_id": run.policy_version.policy_id,
        "version": run.policy_version.version,
        "first_period": run.first_period,
        "last_period": run.last_period,
        "corrects": run.pk,
    }


def _list(request, form: RunForm | None, status: int = 200):
    qs = visible_runs(request.user).select_related("submitted_by", "approved_by", "published_by")
    state = request.GET.get("state")
    if state in RunState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [_row(r) for r in page.object_list],
        "form": form if actions.may_review(request.user) else None,
        "states": [(value, STATE_LABELS[value]) for value in RunState.values],
        "state": state,
        "has_policies": PolicyVersion.objects.exists(),
    }
    return render(request, "assessment/list.html", context, status=status)


@login_required
@require_POST
def run_new(request):
    if not actions.may_review(request.user):
        raise PermissionDenied(_("Only HR and admins may request, submit, approve, reject or publish runs."))
    form = RunForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=400)
    data = form.cleaned_data
    version = _version(form, data)
    corrects = None
    if version is not None and data.get("corrects"):
        corrects = Run.objects.select_related("policy_version").filter(pk=data["corrects"]).first()
        if corrects is None:
            form.add_error("corrects", _("There is no run #%(n)d.") % {"n": data["corrects"]})
    if form.errors:
        return _list(request, form, status=400)
    try:
        run, created = actions.find_or_request_run(
            request.user, version, data["first_period"], data.get("last_period") or None, corrects
        )
    except ValidationError as e:
        for field, errors in e.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _list(request, form, status=400)
    if not created:
        messages.info(
            request, _("The same run exists already (same policy version, months and facts): here it is.")
        )
    return redirect("runs:detail", pk=run.pk)


def _version(form: RunForm, data: dict) -> PolicyVersion | None:
    from merit.policies.actions import resolve

    policy_id = data["policy_id"]
    if data.get("version"):
        found = PolicyVersion.objects.filter(policy_id=policy_id, version=data["version"]).first()
        if found is None:
            form.add_error(
                "version", _("%(policy)s has no version %(v)d.") % {"policy": policy_id, "v": data["version"]}
            )
        return found
    try:
        return resolve(policy_id, data["first_period"])
    except (ValueError, PolicyVersion.DoesNotExist) as e:
        form.add_error("first_period", str(e))
        return None


# ---- one run -----------------------------------------------------------------------------------------


def _visible_run(request, pk: int) -> Run:
    qs = visible_runs(request.user).select_related(
        "submitted_by", "approved_by", "rejected_by", "published_by", "corrects", "state_from", "duplicate_of"
    )
    return get_object_or_404(qs, pk=pk)


@login_required
@require_GET
def run_detail(request, pk: int):
    run = _visible_run(request, pk)
    results = visible_results(request.user, run).order_by("period", "team_id", "agent_id")
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    scope = scope_of(request.user)
    teams = []
    if scope.kind in (ALL, TEAM):
        teams = list(results.order_by("period", "team_id").values_list("period", "team_id").distinct())
    columns, headline_rows = headline.table(page.object_list)
    context = _row(run) | {
        "page": page,
        "columns": columns,
        "headline_rows": headline_rows,
        "teams": teams,
        "buttons": _buttons(run, request.user),
        "reject_form": RejectForm(),
        "corrected_by": superseded_by(run) if run.state == RunState.PUBLISHED else None,
        "reviewer": actions.may_review(request.user),
        "facts_changed": _facts_changed(run, request.user),
        "coverage": _coverage_rows(run),
        "history": history_summary({"periods": run.months or []}),
    }
    return render(request, "assessment/detail.html", context)


def _coverage_rows(run: Run) -> list[dict]:
    """Each month's coverage as table rows: rows now, usually, and whether far below."""
    out = []
    for c in run.coverage or []:
        tables = [
            {"table": t, "rows": n, "usual": c["usual"].get(t), "low": t in c["low"]}
            for t, n in c["rows"].items()
        ]
        out.append(
            {
                "period": c["period"],
                "agents": c["agents"],
                "open": c["open"],
                "tables": tables,
                "usual_months": c.get("usual_months") or [],
            }
        )
    return out


def _facts_changed(run: Run, user) -> list:
    """Imports that changed rows of a published run's months after it was published (reviewers only:
    the run's results stay as published, a correction run is theirs to start)."""
    from merit.ingest.queries import imports_changing

    if run.state != RunState.PUBLISHED or not actions.may_review(user):
        return []
    return imports_changing(run)


@login_required
@require_GET
def run_progress(request, pk: int):
    """The progress bar, polled by htmx every second while the run is queued or computing."""
    run = _visible_run(request, pk)
    if not _running(run) and request.htmx:
        return HttpResponseClientRefresh()  # done: show the whole page
    return render(request, "assessment/_progress.html", _row(run))


@login_required
@require_POST
def run_review(request, pk: int, action: str):
    if action not in REVIEWS:
        raise Http404
    run = _visible_run(request, pk)
    if not actions.may_review(request.user):
        raise PermissionDenied(_("Only HR and admins may request, submit, approve, reject or publish runs."))
    act, done = REVIEWS[action]
    args = []
    if action == "reject":
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the run is rejected."))
            return redirect("runs:detail", pk=run.pk)
        args = [form.cleaned_data["reason"]]
    elif action == "publish":
        args = [request.POST.get("override_reason", "")]
    try:
        act(run, request.user, *args)
    except actions.Conflict as e:
        messages.error(request, e.text())
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, done % {"n": run.pk})
    return redirect("runs:detail", pk=run.pk)


# ---- results -----------------------------------------------------------------------------------------


def _month(run: Run, period: str) -> dict:
    return next((m for m in run.months or [] if m.get("period") == period), {})


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _capped_items(run: Run) -> set[str]:
    """The scorecard items whose points cannot exceed their max (满分): a max_points, or the scorecard's
    cap_at_weight. Others show their weight (权重): relative items may score above it."""
    from merit.engine import expr

    try:
        lp = actions.loaded_policy(run.policy_version)
    except Exception:  # a page never fails on this: everything shows as a weight
        return set()
    sc = lp.policy.scorecard
    if sc is None:
        return set()
    cap = sc.cap_at_weight
    if isinstance(cap, str):
        try:
            cap = expr.truthy(expr.run(cap, {f"param.{k}": v for k, v in lp.params.items()}))
        except Exception:
            cap = False
    return {
        it.id
        for it in sc.items
        if it.max_points is not None or (cap and it.weight is not None and not it.addon)
    }


@login_required
@require_GET
def agent_result(request, pk: int, agent_id: str, period: str):
    run = _visible_run(request, pk)
    result = get_object_or_404(visible_results(request.user, run), agent_id=agent_id, period=period)
    month = _month(run, period)
    english = _english()
    # the agent may appeal a line of a published result (merit.appeals: "line:<result>:<item>")
    own = run.state == RunState.PUBLISHED and result.agent.user_id == request.user.pk
    capped = _capped_items(run)
    lines = [
        line
        | {"shown_label": (line.get("label_en") if english else line.get("label")) or line.get("item")}
        | {"capped": line.get("item") in capped}
        | ({"appeal_ref": f"line:{result.pk}:{line.get('item')}"} if own else {})
        for line in result.doc.get("lines") or []
    ]
    context = {
        "run": run,
        "span": _span(run),
        "result": result,
        "doc": result.doc,
        "lines": lines,
        "metrics": month.get("metrics") or {},
        "month": month,
        "state_label": STATE_LABELS.get(run.state, run.state),
        "corrected_by": superseded_by(run) if run.state == RunState.PUBLISHED else None,
        "team_url": scope_of(request.user).kind in (ALL, TEAM),
    }
    return render(request, "assessment/agent_result.html", context)


@login_required
@require_GET
def team_result(request, pk: int, team_id: str, period: str):
    if scope_of(request.user).kind not in (ALL, TEAM):
        raise Http404
    run = _visible_run(request, pk)
    team = get_object_or_404(visible_teams(request.user), team_id=team_id)
    rows = visible_results(request.user, run).filter(team_id=team_id, period=period).order_by("agent_id")
    if not rows.exists():
        raise Http404
    columns, headline_rows = headline.table(rows)
    month = _month(run, period)
    team_doc = next((t for t in month.get("teams") or [] if t.get("team_id") == team_id), {})
    context = {
        "run": run,
        "span": _span(run),
        "team": team,
        "period": period,
        "rows": rows,
        "columns": columns,
        "headline_rows": headline_rows,
        "summary": team_summary(rows),
        "team_doc": team_doc,
        "state_label": STATE_LABELS.get(run.state, run.state),
        "corrected_by": superseded_by(run) if run.state == RunState.PUBLISHED else None,
    }
    return render(request, "assessment/team_result.html", context)
