"""What supervisors judge, entered in the web: the month's manual scorecard items of a policy for their
team (a grid), and incidents with a reason and evidence. docs/entry.md.

Each save is written like an import (``merit.facts.io.write_tables``, one transaction, all or nothing)
and recorded as an :class:`~merit.ingest.models.Import` of origin ``web_entry``: the rows carry its id
(``batch``), the audit has its ``ingest.import.apply`` row with the counts, and a save that changes a
month with a published run marks that run "facts changed since publication", as an import does.
Everything is checked before anything is written; any bad value refuses the whole save, naming the agent
and the item.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from merit.engine import tables as T
from merit.engine.package import PackageError
from merit.ingest.models import Evidence, Import, ImportOrigin, ImportState
from merit.org import access
from merit.org.models import Agent, Team

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_PLACES = 2  # a supervisor's score: at most two decimal places
MAX_NOTE = 500
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".pdf",
    ".txt",
    ".csv",
    ".xlsx",
    ".docx",
    ".zip",
)


@dataclass(frozen=True)
class ManualItem:
    """A manual scorecard item of a policy: the ``manual_scores.item`` it reads and its range."""

    item: str
    label_zh: str
    label_en: str
    min_points: Decimal
    max_points: Decimal | None

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "").startswith("en") else self.label_zh


def manual_items(version) -> list[ManualItem]:
    """The manual items of a stored policy version's scorecard, in its order (one per item name)."""
    from merit.assessment.actions import loaded_policy

    policy = loaded_policy(version).policy
    out, seen = [], set()
    for it in policy.scorecard.items if policy.scorecard else []:
        if getattr(it, "kind", None) != "manual" or it.item in seen:
            continue
        seen.add(it.item)
        low = it.min_points if it.min_points is not None else Decimal(0)
        out.append(ManualItem(it.item, it.label.zh, it.label.en, max(low, Decimal(0)), it.max_points))
    return out


def teams_for(user):
    """The teams ``user`` enters for: a supervisor their own, HR and admins every team."""
    scope = access.scope_of(user)
    if scope.is_manager:
        return Team.objects.order_by("team_id")
    if scope.kind == access.TEAM and scope.team_id:
        return Team.objects.filter(pk=scope.team_id)
    return Team.objects.none()


def may_enter(user) -> bool:
    return teams_for(user).exists()


def _team(user, team_id: str) -> Team:
    team = teams_for(user).filter(team_id=team_id).first()
    if team is None:
        if not may_enter(user):
            raise PermissionDenied(_("Only supervisors, HR and admins enter scores and incidents."))
        raise PermissionDenied(_("Team %(team)s is not yours.") % {"team": team_id})
    return team


def stored_scores(team: Team, period: str, items: list[ManualItem]) -> dict[tuple[str, str], Decimal]:
    from merit.facts.models import ManualScore

    rows = ManualScore.objects.filter(
        agent__team=team, period=period, item__in=[i.item for i in items]
    ).values_list("agent_id", "item", "score")
    return {(a, i): s for a, i, s in rows}


def parse_score(text: str) -> Decimal:
    """A score as typed: digits with at most two decimal places (a full-width or comma decimal is read)."""
    text = (text or "").strip().replace("，", ".").replace("．", ".").replace(",", ".")
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("not a number")) from None
    if not value.is_finite():
        raise ValueError(_("not a number"))
    if -value.as_tuple().exponent > MAX_PLACES:
        raise ValueError(_("at most %(n)d decimal places") % {"n": MAX_PLACES})
    return value


def save_scores(user, version, team_id: str, period: str, cells: dict[tuple[str, str], str]) -> Import | None:
    """Store the manual scores of ``team_id`` for ``period`` as the grid holds them.

    ``cells``: (agent_id, item) → the text typed (empty: no score; a stored score is removed). Items
    must be manual items of ``version``; agents must be active agents of the team; scores must lie in
    the item's range. Any problem raises ``ValidationError`` with one message per bad cell (agent and
    item named) and nothing is stored. Returns the Import recording the save (None when nothing
    changed)."""
    from merit.facts.models import ManualScore

    team = _team(user, team_id)
    if not MONTH.match(period or ""):
        raise ValidationError({"period": _("A month is written YYYY-MM, e.g. 2026-03.")})
    items = {i.item: i for i in manual_items(version)}
    if not items:
        raise ValidationError(
            {"policy": _("%(policy)s has no manual scorecard items.") % {"policy": version.policy_id}}
        )
    agents = {a.agent_id: a for a in Agent.objects.filter(team=team, active=True)}
    errors, rows, cleared = [], [], []
    for (agent_id, item_id), text in sorted(cells.items()):
        agent, item = agents.get(agent_id), items.get(item_id)
        if agent is None:
            errors.append(
                _("%(agent)s is not an active agent of team %(team)s.") % {"agent": agent_id, "team": team_id}
            )
            continue
        if item is None:
            errors.append(
                _("%(item)s is not a manual item of %(policy)s.")
                % {"item": item_id, "policy": version.policy_id}
            )
            continue
        where = f"{agent.name} ({agent.agent_id}) · {item.label} ({item.item})"
        if not (text or "").strip():
            cleared.append((agent_id, item_id))
            continue
        try:
            value = parse_score(text)
        except ValueError as e:
            errors.append(f"{where}: {e} ({text.strip()[:40]!r})")
            continue
        if value < item.min_points:
            errors.append(
                _("%(where)s: %(value)s is below the minimum %(min)s")
                % {"where": where, "value": value, "min": item.min_points}
            )
        elif item.max_points is not None and value > item.max_points:
            errors.append(
                _("%(where)s: %(value)s is above the maximum %(max)s")
                % {"where": where, "value": value, "max": item.max_points}
            )
        else:
            rows.append((agent_id, period, item_id, value))
    if errors:
        raise ValidationError(errors)
    by = _by(user)
    data = [(a, p, i, v, by, None) for a, p, i, v in rows]
    stored = stored_scores(team, period, list(items.values()))
    removed = [(a, i) for a, i in cleared if (a, i) in stored]
    if not data and not removed:
        return None
    detail = {"team": team_id, "period": period, "policy": version.policy_id}
    with transaction.atomic():
        imp = _entry_import(user, f"主管评分 manual scores · {team_id} · {period}", {"rows": rows, **detail})
        summary, changes, months = _write(imp, "manual_scores", data)
        for agent_id, item_id in removed:
            ManualScore.objects.filter(agent_id=agent_id, period=period, item=item_id).delete()
        if removed:
            summary["manual_scores"]["removed"] = len(removed)
            months.setdefault("manual_scores", [])
            if period not in months["manual_scores"]:
                months["manual_scores"] = sorted([*months["manual_scores"], period])
        _applied(imp, user, summary, changes, months, detail)
    imp.refresh_from_db()
    return imp


def record_incident(
    user,
    agent_id: str,
    kind: str,
    at: datetime,
    note: str,
    severity: str = "",
    loss_amount: Decimal | None = None,
    evidence=None,
) -> Import:
    """Record one incident of an agent of the user's team (HR and admins: any team) with its reason
    (``note``, required) and optional evidence (a file, kept under MEDIA_ROOT/evidence/). Refused with
    ``ValidationError`` naming the field."""
    agent = Agent.objects.filter(agent_id=agent_id).select_related("team").first()
    if agent is None:
        raise ValidationError({"agent": _("There is no agent %(agent)s.") % {"agent": agent_id}})
    _team(user, agent.team.team_id)
    errors = {}
    if kind not in T.INCIDENT_KINDS:
        errors["kind"] = _("Choose a kind of incident from the list.")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("Say what happened: the reason is kept with the incident.")
    elif len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)d characters.") % {"n": MAX_NOTE}
    if at is None:
        errors["at"] = _("When did it happen?")
    elif at > timezone.now():
        errors["at"] = _("An incident cannot be in the future.")
    if loss_amount is not None and (not loss_amount.is_finite() or loss_amount < 0):
        errors["loss_amount"] = _("A loss is an amount of 0 or more.")
    if evidence is not None:
        name = evidence.name.rsplit("/", 1)[-1]
        if not name.lower().endswith(EVIDENCE_SUFFIXES):
            errors["evidence"] = _("Evidence is an image, a PDF, a text, CSV, XLSX, DOCX or zip file.")
        elif evidence.size > MAX_EVIDENCE_BYTES:
            errors["evidence"] = _("Evidence is at most 10 MB.")
    if errors:
        raise ValidationError(errors)
    when = at.astimezone(UTC).replace(tzinfo=None)
    stamp = timezone.localtime(at).strftime("%Y%m%d%H%M%S")
    with transaction.atomic():
        n = Import.objects.filter(origin=ImportOrigin.WEB_ENTRY).count() + 1
        incident_id = f"IN-WEB-{stamp}-{agent_id}-{n}"[:64]
        detail = {"incident_id": incident_id, "agent": agent_id, "kind": kind}
        imp = _entry_import(user, f"奖惩事件 incident · {agent_id} · {kind}", detail | {"note": note})
        row = (incident_id, agent_id, when, kind, severity or None, loss_amount, note)
        summary, changes, months = _write(imp, "incidents", [row])
        if evidence is not None:
            _keep_evidence(imp, incident_id, evidence, user)
        _applied(imp, user, summary, changes, months, detail)
    imp.refresh_from_db()
    return imp


# ---- the write, recorded as an import ------------------------------------------------------------


def _by(user) -> str:
    agent = Agent.objects.filter(user=user).first()
    name = user.get_full_name() or user.get_username()
    return f"{agent.name if agent else name} ({user.get_username()})"[:120]


def _entry_import(user, source: str, content: dict) -> Import:
    sha = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    now = timezone.now()
    return Import.objects.create(
        created_by=user,
        origin=ImportOrigin.WEB_ENTRY,
        source_name=source[:255],
        file_sha256=sha,
        stored_path="",
        state=ImportState.RUNNING,
        started_at=now,
        progress=50,
        stage="writing",
    )


def _write(imp: Import, table: str, rows: list[tuple]) -> tuple[dict, dict, dict]:
    from dataclasses import asdict

    from merit.facts.io import Changes, write_tables

    spec = T.TABLES[table]
    con = duckdb.connect(":memory:")
    try:
        cols = ", ".join(f'"{c.name}" {T.TYPE_SQL[c.type]}' for c in spec.columns)
        con.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" for _ in spec.columns)
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', [list(r) for r in rows])
        changes = Changes()
        try:
            counts = write_tables(con, [table], batch=imp.pk, changes=changes)
        except PackageError as e:
            raise ValidationError([f"{p.column}: {p.reason} ({p.value})" for p in e.problems]) from None
    finally:
        con.close()
    summary = {t: asdict(c) for t, c in counts.items()}
    return summary, changes.rows, changes.months


def _applied(imp: Import, user, summary: dict, changes: dict, months: dict, detail: dict) -> None:
    from merit.audit.log import record

    Import.objects.filter(pk=imp.pk).update(
        state=ImportState.SUCCEEDED,
        progress=100,
        stage="done",
        summary=summary,
        changes=changes,
        months=months,
        finished_at=timezone.now(),
    )
    record(user, "ingest.import.apply", imp, detail={"tables": summary, "months": months, **detail})


def _keep_evidence(imp: Import, incident_id: str, upload, user) -> Evidence:
    h = hashlib.sha256()
    chunks = []
    for chunk in upload.chunks():
        h.update(chunk)
        chunks.append(chunk)
    sha = h.hexdigest()
    name = re.sub(r"[^\w.\-]+", "_", upload.name.rsplit("/", 1)[-1]).strip("._")[:100] or "evidence"
    folder = Path(settings.MEDIA_ROOT) / "evidence" / sha
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        target.write_bytes(b"".join(chunks))
    return Evidence.objects.create(
        incident_id=incident_id,
        entry=imp,
        name=name,
        stored_path=str(target.relative_to(Path(settings.MEDIA_ROOT))),
        sha256=sha,
        size_bytes=sum(len(c) for c in chunks),
        uploaded_by=user,
    )
