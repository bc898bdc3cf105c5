"""Assessment runs: every write of the app. ``request_run`` queues a run, ``compute_run`` (the body of
the background task; tests and the demo call it directly) computes it from the database's facts, and
``submit`` / ``approve`` / ``reject`` / ``publish`` move it through the four-eyes review.

The rules (docs/runs.md tells them in full):

* Only HR and admins request and review runs; the approver is never the submitter (four-eyes).
* Each transition is one transaction around a conditional UPDATE (``WHERE state = <expected>``): of
  two people acting on the same run at the same moment exactly one wins, the other gets
  :class:`Conflict`. Every transition writes its audit row in the same transaction.
* A run starts from the closing state of the *current publication* of its policy for the month before
  its first month (the published run no published correction replaced), whatever version of the
  policy that run used; without one it starts fresh.
* Two runs are the same run when policy version, periods, input fingerprint, starting state and
  corrected run are the same. Asking for a run that exists (in any state but failed, rejected or
  duplicate) returns it; a run found equal only once its facts were read ends as ``duplicate``,
  pointing to the existing one, without results. So there are never two equal runs with results.
* Publishing posts the run's ledger entries in the same transaction and is refused while another
  current publication of the same policy overlaps the run's months, unless the run corrects it.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from merit.assessment.models import AgentResult, Run, RunState
from merit.audit.log import record
from merit.engine.metrics.compute import Period
from merit.engine.package import PackageError
from merit.engine.policy.load import LoadedPolicy, PolicyError, PolicyProblem, parse_policy
from merit.engine.state import CarriedState, StateError, state_from_results
from merit.facts.coverage import provisional_reasons, run_coverage
from merit.org.access import scope_of
from merit.policies.models import PolicyVersion

logger = logging.getLogger(__name__)

# Stages saved on Run.stage while it is computed (the pages and the API show their labels).
QUEUED, POLICY, STATE, READING, ASSESSING, SAVING, DONE = (
    "queued",
    "policy",
    "state",
    "reading",
    "assessing",
    "saving",
    "done",
)
IN_FLIGHT = (RunState.QUEUED, RunState.COMPUTING)
# Runs that count when looking for an equal one: every state but failed, rejected and duplicate.
KEPT = (RunState.COMPUTED, RunState.SUBMITTED, RunState.APPROVED, RunState.PUBLISHED)
MAX_REASON = 2000
AGENT_RESULT_BATCH = 500


class Conflict(Exception):
    """The run is not (or no longer) in a state that allows the action: someone acted first, the four-eyes
    rule forbids it, or another publication is in the way. The API answers 409, the pages a message.

    The message is kept untranslated so that it can be given in any language (``text``)."""

    WORDS = ("state", "action")  # parameters that are msgids themselves, translated with the message

    def __init__(self, message: str, **params):
        self.message = message
        self.params = params
        super().__init__(message % params)

    def text(self, language: str | None = None) -> str:
        if language is not None:
            with translation.override(language):
                return self.text()
        params = {k: _(v) if k in self.WORDS else v for k, v in self.params.items()}
        return _(self.message) % params

    def __str__(self) -> str:
        return self.text()


class FourEyes(Conflict):
    """The submitter of a run tried to approve it."""


# ---- who may ---------------------------------------------------------------------------------------


def may_review(user) -> bool:
    """HR and admins (and superusers) request, submit, approve, reject and publish runs."""
    return scope_of(user).is_manager


def require_reviewer(user) -> None:
    if not may_review(user):
        raise PermissionDenied(_("Only HR and admins may request, submit, approve, reject or publish runs."))


# ---- reading what a run needs ------------------------------------------------------------------------


def loaded_policy(version: PolicyVersion) -> LoadedPolicy:
    """The engine's policy of a stored version, checked to be the text that was validated and hashed."""
    source = f"{version.policy_id} v{version.version}"
    policy = parse_policy(version.text, source)
    if policy.sha256 != version.sha256:  # the versions table refuses changes: this means tampering
        raise PolicyError(source, [PolicyProblem(None, "", "the stored text does not match its sha256")])
    return policy


def current_publications(policy_id: str):
    """The published runs of ``policy_id`` that no published correction has replaced."""
    return Run.objects.filter(policy_version__policy_id=policy_id, state=RunState.PUBLISHED).exclude(
        corrections__state=RunState.PUBLISHED
    )


def state_source(policy_id: str, first_period: str) -> Run | None:
    """The run whose closing state a run of ``policy_id`` starting in ``first_period`` starts from: the
    current publication whose last month is the month before."""
    before = str(Period.parse(first_period).shift(-1))
    return (
        current_publications(policy_id)
        .filter(last_period=before)
        .order_by("-published_at", "-pk")
        .only("pk", "results", "last_period")
        .first()
    )


def results_doc(run: Run) -> dict:
    """The stored results.json of a computed run."""
    return orjson.loads(bytes(run.results))


def carried_state(source: Run, first_period: str) -> CarriedState:
    """The closing state of ``source`` for a run starting in ``first_period``.

    The engine checks that the state ends in the month before; it would also refuse a state computed
    with another version of the policy. Runs carry it across versions of the same policy on purpose: a
    new version (a changed fine, a new rule) must not reset everyone's points balance and streaks. The
    state is keyed by rule ids, so a rule the new version keeps continues and a removed rule's state is
    ignored."""
    doc = results_doc(source)
    return state_from_results(doc, doc["policy"]["sha256"], Period.parse(first_period))


def months(first_period: str, last_period: str) -> list[str]:
    first, last = Period.parse(first_period), Period.parse(last_period)
    n = (last.year * 12 + last.month) - (first.year * 12 + first.month)
    return [str(first.shift(i)) for i in range(n + 1)]


def read_facts(policy: LoadedPolicy, periods: list[str], rebuild_state: bool = False):
    """The engine package of ``periods`` from the database, with the months of history the policy reads.

    With ``rebuild_state`` (a run with no publication of the month before to start from), a policy with
    rules over time reads every month from the first one holding facts: the engine rebuilds the state
    at the start of the run from them, as the command line does (merit.engine.lookback)."""
    from merit.engine.lookback import carries_state
    from merit.facts.coverage import first_month_of_facts
    from merit.facts.io import history_months, read_package

    history = history_months(policy)
    if rebuild_state and carries_state(policy):
        first, began = Period.parse(periods[0]), first_month_of_facts()
        if began is not None:
            history = max(history, (first.year - began.year) * 12 + first.month - began.month)
    return read_package(periods, history_months=history)


def equal_runs(
    version: PolicyVersion,
    first_period: str,
    last_period: str,
    input_sha256: str,
    state_from: Run | None,
    corrects: Run | None,
):
    """Runs with results that are the same run as the one described (see the module docstring). A
    correction that would change nothing finds the run it corrects."""
    same_target = Q(corrects=corrects)
    if corrects is not None:
        same_target |= Q(pk=corrects.pk)
    return Run.objects.filter(
        same_target,
        policy_version=version,
        first_period=first_period,
        last_period=last_period,
        input_sha256=input_sha256,
        state_from=state_from,
        state__in=KEPT,
    ).order_by("created_at", "pk")


def _lock_policy(policy_id: str) -> None:
    """Serialise the transactions that check and then write the runs of one policy (storing results,
    publishing). PostgreSQL: a transaction-level advisory lock; SQLite: nothing to do, every write
    transaction already holds the database's only write lock from its start (IMMEDIATE)."""
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(f"merit.assessment:{policy_id}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# ---- request -------------------------------------------------------------------------------------------


def _period(value: str, field: str) -> str:
    try:
        return str(Period.parse(str(value or "").strip()))
    except ValueError:
        raise ValidationError(
            {field: _("%(value)s is not a month: write YYYY-MM, e.g. 2026-03.") % {"value": value or "—"}}
        ) from None


def _check_facts(first: str, last: str) -> None:
    """A month without a single fact row would score every agent on nothing: refused, naming it."""
    from merit.facts.coverage import months_without_facts

    empty = months_without_facts(first, last)
    if empty:
        raise ValidationError(
            {
                "first_period": _(
                    "No facts for %(months)s: nothing has been imported for it, so there is nothing "
                    "to assess. Import the data first (or check the month)."
                )
                % {"months": ", ".join(empty)}
            }
        )


def _check_request(version: PolicyVersion, first: str, last: str, corrects: Run | None) -> None:
    a, b = Period.parse(first), Period.parse(last)
    if (b.year, b.month) < (a.year, a.month):
        raise ValidationError({"last_period": _("The last month comes before the first month.")})
    starts = Period.parse(first).first_day
    if version.effective_from > starts:
        raise ValidationError(
            {
                "policy_version": _(
                    "%(policy)s takes effect on %(date)s, after the first day of %(month)s; "
                    "choose the version in force then."
                )
                % {"policy": str(version), "date": version.effective_from.isoformat(), "month": first}
            }
        )
    _check_facts(first, last)
    if corrects is None:
        return
    if corrects.state != RunState.PUBLISHED:
        raise ValidationError(
            {
                "corrects": _("Run #%(n)d is not published: only a published run is corrected.")
                % {"n": corrects.pk}
            }
        )
    if (corrects.first_period, corrects.last_period) != (first, last):
        raise ValidationError(
            {
                "corrects": _("A correction covers the months of the run it corrects (%(months)s).")
                % {
                    "months": corrects.first_period
                    if corrects.first_period == corrects.last_period
                    else f"{corrects.first_period}..{corrects.last_period}"
                }
            }
        )
    if corrects.policy_version.policy_id != version.policy_id:
        raise ValidationError(
            {
                "corrects": _("Run #%(n)d assessed policy %(policy)s; a correction uses the same policy.")
                % {"n": corrects.pk, "policy": corrects.policy_version.policy_id}
            }
        )
    newer = corrects.corrections.filter(state=RunState.PUBLISHED).first()
    if newer is not None:
        raise ValidationError(
            {
                "corrects": _("Run #%(n)d was already corrected by run #%(m)d: correct that one.")
                % {"n": corrects.pk, "m": newer.pk}
            }
        )


def request_run(
    user,
    policy_version: PolicyVersion,
    first_period: str,
    last_period: str | None = None,
    corrects: Run | None = None,
    *,
    enqueue: bool = True,
) -> Run:
    """Queue the assessment of ``first_period``..``last_period`` with ``policy_version`` (``corrects``: the
    published run this one corrects) and return it — or return the existing equal run.

    Raises ``PermissionDenied`` for users who may not request runs and ``ValidationError`` keyed by field
    for a bad month, a version not yet in force or a run that cannot be corrected. A request like one
    still queued or computing returns that run. When runs with the same policy version, months and
    starting state exist, the facts are read at once to compare fingerprints (the price of a
    re-run that changes nothing is one read, not a computation). ``enqueue=False`` leaves a new run
    queued for the caller to compute (``compute_run``)."""
    return find_or_request_run(user, policy_version, first_period, last_period, corrects, enqueue=enqueue)[0]


def find_or_request_run(
    user,
    policy_version: PolicyVersion,
    first_period: str,
    last_period: str | None = None,
    corrects: Run | None = None,
    *,
    enqueue: bool = True,
) -> tuple[Run, bool]:
    """:func:`request_run`, also saying whether the run is new (True) or an existing equal one (False)."""
    require_reviewer(user)
    first = _period(first_period, "first_period")
    last = _period(last_period or first, "last_period")
    _check_request(policy_version, first, last, corrects)
    same = Run.objects.filter(policy_version=policy_version, first_period=first, last_period=last)
    running = same.filter(state__in=IN_FLIGHT, corrects=corrects).order_by("created_at", "pk").first()
    if running is not None:
        return running, False
    source = state_source(policy_version.policy_id, first)
    candidates = same.filter(state__in=KEPT, state_from=source)
    if candidates.exists() or (corrects is not None and corrects.policy_version_id == policy_version.pk):
        policy = loaded_policy(policy_version)
        package = read_facts(policy, months(first, last), rebuild_state=source is None)
        try:
            fingerprint = package.input_sha256
        finally:
            package.con.close()
        existing = equal_runs(policy_version, first, last, fingerprint, source, corrects).first()
        if existing is not None:
            return existing, False
    with transaction.atomic():
        run = Run.objects.create(
            policy_version=policy_version,
            first_period=first,
            last_period=last,
            corrects=corrects,
            created_by=user,
            state=RunState.QUEUED,
            stage=QUEUED,
        )
        record(user, "assessment.run.request", run, after=snapshot(run))
        if enqueue:
            transaction.on_commit(lambda: enqueue_run(run.pk))
    return run, True


def enqueue_run(run_id: int) -> None:
    """Hand the run to the task worker (``manage.py db_worker``)."""
    from merit.assessment.tasks import compute_run_task

    compute_run_task.enqueue(run_id)


def snapshot(run: Run) -> dict:
    """What the audit keeps of a run's state (its results stay in the row)."""
    return {
        "state": run.state,
        "policy": str(run.policy_version),
        "policy_sha256": run.policy_version.sha256,
        "first_period": run.first_period,
        "last_period": run.last_period,
        "corrects": run.corrects_id,
        "state_from": run.state_from_id,
        "input_sha256": run.input_sha256,
        "output_sha256": run.output_sha256,
    }


# ---- compute -------------------------------------------------------------------------------------------


def compute_run(run_id: int) -> Run:
    """Compute the run ``run_id`` if it is queued (else leave it as it is) and return it.

    Stages: the policy is loaded, the starting state found, the facts read (the fingerprint is then
    known: an equal run found now makes this one a duplicate), the engine assesses, and the results
    (canonical bytes and one AgentResult row per agent and month) are stored in one transaction. Any
    error leaves the run failed with its message; nothing of it is stored."""
    claimed = Run.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.COMPUTING, progress=2, stage=POLICY, error=""
    )
    run = Run.objects.select_related("policy_version", "corrects").get(pk=run_id)
    if not claimed:
        return run
    try:
        _compute(run)
    except (PolicyError, PackageError, StateError, ValueError) as e:
        _fail(run, _error_text(e))
    except Exception as e:
        logger.exception("run %s failed", run_id)
        _fail(run, f"{type(e).__name__}: {e}")
    run.refresh_from_db()
    return run


def _error_text(e: Exception) -> str:
    if isinstance(e, PackageError):
        lines = [str(e)] + [
            f"{p.table} row {p.row} {p.column or ''} {p.value!r}: {p.reason}" for p in e.problems[:20]
        ]
        return "\n".join(lines)
    return str(e)


def _progress(run: Run, percent: int, stage: str) -> None:
    Run.objects.filter(pk=run.pk, state=RunState.COMPUTING).update(progress=percent, stage=stage)


def _compute(run: Run) -> None:
    from merit.engine.api import assess_package

    version = run.policy_version
    periods = months(run.first_period, run.last_period)
    policy = loaded_policy(version)
    _progress(run, 5, STATE)
    source = state_source(version.policy_id, run.first_period)
    state = carried_state(source, run.first_period) if source is not None else None
    _progress(run, 10, READING)
    package = read_facts(policy, periods, rebuild_state=state is None)
    try:
        fingerprint = package.input_sha256
        equal = equal_runs(version, run.first_period, run.last_period, fingerprint, source, run.corrects)
        if equal.exists():
            _duplicate(run, equal.first(), fingerprint, source)
            return
        _progress(run, 40, ASSESSING)
        doc, data = assess_package(package, policy, periods, state, engine=settings.MERIT_ENGINE)
    finally:
        package.con.close()
    _progress(run, 85, SAVING)
    stored_doc = orjson.loads(data)  # plain JSON values, exactly as stored
    rows = agent_rows(run, stored_doc)
    coverage = run_coverage(run.first_period, run.last_period, timezone.localdate())
    with transaction.atomic():
        _lock_policy(version.policy_id)
        equal = equal_runs(version, run.first_period, run.last_period, fingerprint, source, run.corrects)
        if equal.exists():  # computed meanwhile by an equal request
            _duplicate(run, equal.first(), fingerprint, source)
            return
        stored = Run.objects.filter(pk=run.pk, state=RunState.COMPUTING).update(
            state=RunState.COMPUTED,
            results=data,
            months=month_parts(stored_doc),
            output_sha256=doc["output_sha256"],
            input_sha256=fingerprint,
            state_from=source,
            coverage=coverage,
            provisional=provisional_reasons(coverage),
            progress=100,
            stage=DONE,
            computed_at=timezone.now(),
        )
        if not stored:
            raise Conflict(gettext_noop("Run #%(n)d changed state while it was computed."), n=run.pk)
        AgentResult.objects.bulk_create(rows, batch_size=AGENT_RESULT_BATCH)
        run.refresh_from_db()
        record(
            None,
            "assessment.run.compute",
            run,
            before={"state": RunState.COMPUTING},
            after=snapshot(run),
            detail={"table": AgentResult._meta.db_table, "rows": len(rows), "run": run.pk},
        )


def month_parts(doc: dict) -> list[dict]:
    """Each month of a results document without its agents (kept on Run.months for the pages)."""
    return [{k: v for k, v in period.items() if k != "agents"} for period in doc["periods"]]


def agent_rows(run: Run, doc: dict) -> list[AgentResult]:
    """One AgentResult per agent and month, each holding the agent's part of the results document."""
    rows = []
    for period in doc["periods"]:
        for a in period["agents"]:
            rows.append(
                AgentResult(
                    run_id=run.pk,
                    period=period["period"],
                    agent_id=a["agent_id"],
                    team_id=a.get("team_id") or "",
                    score=_decimal(a.get("score")),
                    grade=str(a.get("grade") or "")[:16],
                    bonus=_decimal(a.get("bonus")),
                    doc=a,
                )
            )
    return rows


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _duplicate(run: Run, existing: Run, fingerprint: str, source: Run | None) -> None:
    with transaction.atomic():
        Run.objects.filter(pk=run.pk, state=RunState.COMPUTING).update(
            state=RunState.DUPLICATE,
            duplicate_of=existing,
            input_sha256=fingerprint,
            state_from=source,
            progress=100,
            stage=DONE,
            computed_at=timezone.now(),
        )
        run.refresh_from_db()
        record(
            None,
            "assessment.run.duplicate",
            run,
            before={"state": RunState.COMPUTING},
            after={"state": RunState.DUPLICATE, "duplicate_of": existing.pk, "input_sha256": fingerprint},
        )


def fail_interrupted_runs() -> int:
    """Mark runs left computing by a worker that stopped as failed (nothing of them was stored).

    Only call this while no worker runs (``merit serve --recover-interrupted``)."""
    interrupted = list(Run.objects.filter(state=RunState.COMPUTING))
    for run in interrupted:
        _fail(run, "interrupted: the worker stopped before the run finished; request it again")
    return len(interrupted)


def _fail(run: Run, message: str) -> None:
    with transaction.atomic():
        failed = Run.objects.filter(pk=run.pk, state=RunState.COMPUTING).update(
            state=RunState.FAILED, error=message[:5000], progress=100, stage=DONE
        )
        if failed:
            record(
                None,
                "assessment.run.fail",
                run,
                before={"state": RunState.COMPUTING},
                after={"state": RunState.FAILED},
                detail={"error": message[:1000]},
            )


# ---- review --------------------------------------------------------------------------------------------

STATE_WORDS = {
    RunState.QUEUED: gettext_noop("queued"),
    RunState.COMPUTING: gettext_noop("being computed"),
    RunState.FAILED: gettext_noop("failed"),
    RunState.COMPUTED: gettext_noop("computed"),
    RunState.SUBMITTED: gettext_noop("submitted"),
    RunState.APPROVED: gettext_noop("approved"),
    RunState.REJECTED: gettext_noop("rejected"),
    RunState.PUBLISHED: gettext_noop("published"),
    RunState.DUPLICATE: gettext_noop("a duplicate"),
}


def _run(run: Run | int) -> Run:
    pk = run.pk if isinstance(run, Run) else int(run)
    return Run.objects.select_related("policy_version").get(pk=pk)


def _refused(pk: int, action: str) -> Conflict:
    """Why a conditional UPDATE changed nothing: the run's state now, and who moved it there."""
    run = Run.objects.select_related("submitted_by", "approved_by", "rejected_by", "published_by").get(pk=pk)
    who = {
        RunState.SUBMITTED: run.submitted_by,
        RunState.APPROVED: run.approved_by,
        RunState.REJECTED: run.rejected_by,
        RunState.PUBLISHED: run.published_by,
    }.get(run.state)
    state = STATE_WORDS.get(run.state, run.state)
    if who is not None:
        return Conflict(
            gettext_noop("Run #%(n)d is already %(state)s (by %(user)s): you cannot %(action)s it now."),
            n=pk,
            state=state,
            user=who.get_username(),
            action=action,
        )
    return Conflict(
        gettext_noop("Run #%(n)d is %(state)s: you cannot %(action)s it now."),
        n=pk,
        state=state,
        action=action,
    )


def _transition(
    run: Run | int, user, action: str, verb: str, expected: tuple, target: str, fields: dict, check=None
) -> Run:
    """Move ``run`` from one of ``expected`` to ``target`` in one transaction; audited as ``action``."""
    require_reviewer(user)
    run = _run(run)
    with transaction.atomic():
        if target == RunState.PUBLISHED:
            _lock_policy(run.policy_version.policy_id)
        before = Run.objects.filter(pk=run.pk).values_list("state", flat=True).first()
        if before not in expected:
            raise _refused(run.pk, verb)
        if check is not None:
            check(run, before)
        changed = Run.objects.filter(pk=run.pk, state=before).update(state=target, **fields)
        if not changed:
            raise _refused(run.pk, verb)
        run = _run(run.pk)
        after = {"state": target} | {k: _plain(v) for k, v in fields.items()}
        record(user, action, run, before={"state": before}, after=after)
    return run


def _plain(value):
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def submit(run: Run | int, user) -> Run:
    """A computed (or rejected) run goes for approval."""
    return _transition(
        run,
        user,
        "assessment.run.submit",
        gettext_noop("submit"),
        (RunState.COMPUTED, RunState.REJECTED),
        RunState.SUBMITTED,
        {"submitted_by": user, "submitted_at": timezone.now(), "approved_by": None, "approved_at": None},
        check=_check_not_repeated,
    )


def _check_not_repeated(run: Run, before: str) -> None:
    """A rejected run comes back only while no equal run was computed since (never two equal runs)."""
    if before != RunState.REJECTED:
        return
    twin = (
        equal_runs(
            run.policy_version,
            run.first_period,
            run.last_period,
            run.input_sha256,
            run.state_from,
            run.corrects,
        )
        .exclude(pk=run.pk)
        .first()
    )
    if twin is not None:
        raise Conflict(
            gettext_noop(
                "Run #%(other)d is the same run (same policy version, months and facts): review that one."
            ),
            other=twin.pk,
        )


def approve(run: Run | int, user) -> Run:
    """A submitted run is approved by someone other than its submitter."""
    require_reviewer(user)
    pk = run.pk if isinstance(run, Run) else int(run)
    with transaction.atomic():
        # The four-eyes rule is part of the condition: the UPDATE itself never lets the submitter approve.
        changed = (
            Run.objects.filter(pk=pk, state=RunState.SUBMITTED)
            .exclude(submitted_by=user)
            .update(state=RunState.APPROVED, approved_by=user, approved_at=timezone.now())
        )
        if not changed:
            current = Run.objects.filter(pk=pk).values("state", "submitted_by").first()
            if current and current["state"] == RunState.SUBMITTED and current["submitted_by"] == user.pk:
                raise FourEyes(
                    gettext_noop(
                        "Run #%(n)d was submitted by you: another person must approve it (four-eyes rule)."
                    ),
                    n=pk,
                )
            raise _refused(pk, gettext_noop("approve"))
        approved = _run(pk)
        record(
            user,
            "assessment.run.approve",
            approved,
            before={"state": RunState.SUBMITTED},
            after={"state": RunState.APPROVED, "approved_by": user.get_username()},
        )
    return approved


def reject(run: Run | int, user, reason: str) -> Run:
    """A submitted or approved run is sent back with a reason (it can be submitted again)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the run is rejected.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("The reason has at most %(n)d characters.") % {"n": MAX_REASON}})
    return _transition(
        run,
        user,
        "assessment.run.reject",
        gettext_noop("reject"),
        (RunState.SUBMITTED, RunState.APPROVED),
        RunState.REJECTED,
        {"rejected_by": user, "rejected_at": timezone.now(), "reject_reason": reason},
    )


def _check_publication(run: Run, before: str) -> None:
    """Refuse when another current publication of the policy overlaps the run's months and the run
    does not correct it."""
    others = (
        current_publications(run.policy_version.policy_id)
        .exclude(pk=run.pk)
        .filter(first_period__lte=run.last_period, last_period__gte=run.first_period)
        .order_by("pk")
    )
    for other in others:
        if other.pk != run.corrects_id:
            raise Conflict(
                gettext_noop(
                    "Run #%(other)d already publishes %(policy)s for %(months)s: publish a run that "
                    "corrects it instead."
                ),
                other=other.pk,
                policy=run.policy_version.policy_id,
                months=_span(other),
            )


def _span(run: Run) -> str:
    return (
        run.first_period if run.first_period == run.last_period else f"{run.first_period}..{run.last_period}"
    )


def publish(run: Run | int, user, override_reason: str = "") -> Run:
    """An approved run is published and its ledger entries posted (a correction: the reversals of the
    corrected run's changed entries and the new ones), all in one transaction. From then on the
    database refuses any change to the run and its results. A provisional run (a month not over, far
    less data than usual: ``Run.provisional``) is published only with ``override_reason``, kept on the
    run and in the audit."""
    from merit.assessment.signals import run_published
    from merit.ledger.actions import post_run

    require_reviewer(user)
    run = _run(run)
    override_reason = (override_reason or "").strip()
    if len(override_reason) > MAX_REASON:
        raise ValidationError({"override_reason": _("At most %(n)d characters.") % {"n": MAX_REASON}})
    fields = {"published_by": user, "published_at": timezone.now()}
    if run.provisional:
        if not override_reason:
            raise ValidationError(
                {
                    "override_reason": _(
                        "The results of run #%(n)d are provisional (%(why)s): publish them only with "
                        "a reason for doing so now."
                    )
                    % {"n": run.pk, "why": "; ".join(run.provisional)}
                }
            )
        fields["publish_override"] = override_reason
    with transaction.atomic():
        published = _transition(
            run,
            user,
            "assessment.run.publish",
            gettext_noop("publish"),
            (RunState.APPROVED,),
            RunState.PUBLISHED,
            fields,
            check=_check_publication,
        )
        post_run(published, user)
        run_published.send(sender=Run, run=published, user=user)
    return published
