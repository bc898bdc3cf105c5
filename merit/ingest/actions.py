"""Imports: the two writes of the app. ``submit_import`` stores an upload and queues it;
``run_import`` does the work (the background task calls it; tests and ``merit import`` call it directly).

How the work is split, and why (docs/imports.md):

* Everything that can fail on bad input happens before the database is touched: the upload is unpacked
  (zip limits), mapped through a column profile, counted (row limit) and validated by the engine's
  package loader, which lists every bad row. Progress (0–50 %) is saved on the Import row meanwhile, each
  update its own short transaction.
* The rows are then written by ``merit.facts.io.write_tables`` inside one ``transaction.atomic()``:
  all or nothing. On SQLite (WAL, ``BEGIN IMMEDIATE``) that transaction holds the only write lock, so
  no other connection may save progress until it commits: the page shows "writing" at 50 % and then
  the result. On PostgreSQL progress during the write (50–95 %) is saved through a second connection,
  in its own autocommit transactions, so the page sees it while the import transaction is open.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.engine import tables as T
from merit.engine.package import PACKAGE, PackageError, Problem
from merit.engine.package.prepare import Prepared, prepare
from merit.engine.package.problems import R_UNKNOWN_AGENT
from merit.engine.package.profiles import ProfileError, load_profile, profile_names
from merit.ingest.models import Import, ImportState
from merit.ingest.unpack import Limits, Refused, csv_records, parquet_rows, unpack
from merit.org import access
from merit.org.models import Agent, Team

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".zip", ".xlsx", ".csv", ".parquet")
MAX_FILES = 50
ORG_TABLES = ("agents", "teams")
DONE_STATES = (
    ImportState.SUCCEEDED,
    ImportState.FAILED,
    ImportState.DUPLICATE,
    ImportState.PREVIEWED,
    ImportState.DISCARDED,
)

# Stages saved on Import.stage (the pages and the API show their labels: merit.ingest.views.STAGES).
QUEUED, UNPACKING, READING, VALIDATING, WRITING, DONE = (
    "queued",
    "unpacking",
    "reading",
    "validating",
    "writing",
    "done",
)


def limits() -> Limits:
    return Limits(
        max_unpacked_bytes=getattr(settings, "MERIT_IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024),
        max_members=getattr(settings, "MERIT_IMPORT_MAX_MEMBERS", 1000),
        max_ratio=getattr(settings, "MERIT_IMPORT_MAX_RATIO", 200),
    )


def may_import(user) -> bool:
    """HR and admins import for every team, supervisors for their own team; nobody else."""
    scope = access.scope_of(user)
    return scope.is_manager or scope.kind == access.TEAM


# ---- submit ------------------------------------------------------------------------------------


def submit_import(user, files, profile: str = "", *, enqueue: bool = True, preview: bool = False) -> Import:
    """Store an upload and queue its import.

    ``files``: Django ``UploadedFile`` objects or ``(name, bytes)`` / ``(name, path)`` pairs — a zip of
    CSVs, an XLSX workbook, CSV or Parquet files. Raises ``PermissionDenied`` for users who may not
    import and ``ValidationError`` (a clear message) for an empty, too large or unsupported upload or
    an unknown profile. The same files (and profile) as an earlier successful import give an Import in
    state DUPLICATE that points at it; nothing is queued. ``enqueue=False`` leaves a new import queued
    for the caller to run (``run_import``), as ``merit import`` does. ``preview=True``: the import is
    checked and what it would change is shown (state PREVIEWED); nothing is applied until
    :func:`confirm_import`.
    """
    if not may_import(user):
        raise PermissionDenied(_("Only HR, admins and supervisors may import data."))
    profile = (profile or "").strip()
    if profile:
        _check_profile(profile)
    items = [_item(f) for f in files or []]
    if not items:
        raise ValidationError(_("Choose at least one file to import."))
    if len(items) > MAX_FILES:
        raise ValidationError(
            _("Too many files (%(n)d); the limit is %(limit)d.") % {"n": len(items), "limit": MAX_FILES}
        )
    names = [name for name, _size, _read in items]
    if len(set(names)) != len(names):
        raise ValidationError(_("Two files have the same name; rename one."))
    for name in names:
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise ValidationError(_("%(name)s: not a zip, XLSX, CSV or Parquet file.") % {"name": name})
    max_bytes = settings.MERIT_IMPORT_MAX_BYTES
    total = sum(size for _name, size, _read in items)
    if total > max_bytes:
        raise ValidationError(too_large_message(total, max_bytes))

    stored, described, sha = _store(items, max_bytes)
    source_name = names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})"
    earlier = _earlier_success(sha, profile)
    common = dict(
        created_by=user,
        source_name=source_name[:255],
        preview_first=preview,
        file_sha256=sha,
        stored_path=str(stored.relative_to(Path(settings.MEDIA_ROOT))),
        profile=profile,
        files=described,
        size_bytes=total,
    )
    if earlier is not None:
        now = timezone.now()
        return Import.objects.create(
            **common,
            state=ImportState.DUPLICATE,
            duplicate_of=earlier,
            progress=100,
            stage=DONE,
            summary={t: {"read": 0, "inserted": 0, "updated": 0, "unchanged": 0} for t in earlier.summary},
            started_at=now,
            finished_at=now,
        )
    with transaction.atomic():
        row = Import.objects.create(**common, state=ImportState.QUEUED, stage=QUEUED)
        if enqueue:
            transaction.on_commit(lambda: enqueue_import(row.pk))
    return row


def confirm_import(user, imp: Import, *, enqueue: bool = True) -> Import:
    """Apply a previewed import: queued again, to make exactly the changes its preview showed (if the
    data in merit changed since, nothing is applied and the import fails saying so). The uploader, or HR
    and admins, may confirm; raises ``ValidationError`` when the import is not awaiting confirmation."""
    from merit.audit.log import record

    _may_decide(user, imp)
    with transaction.atomic():
        now = timezone.now()
        done = Import.objects.filter(pk=imp.pk, state=ImportState.PREVIEWED).update(
            state=ImportState.QUEUED, stage=QUEUED, progress=0, confirmed_by=user, confirmed_at=now
        )
        if not done:
            raise ValidationError(_("This import is not awaiting confirmation."))
        record(user, "ingest.import.confirm", imp, detail={"previewed": imp.previewed_summary})
        if enqueue:
            transaction.on_commit(lambda: enqueue_import(imp.pk))
    imp.refresh_from_db()
    return imp


def discard_import(user, imp: Import) -> Import:
    """Drop a previewed import: nothing of it is applied (its stored file stays, as every upload's)."""
    from merit.audit.log import record

    _may_decide(user, imp)
    with transaction.atomic():
        done = Import.objects.filter(pk=imp.pk, state=ImportState.PREVIEWED).update(
            state=ImportState.DISCARDED, finished_at=timezone.now()
        )
        if not done:
            raise ValidationError(_("This import is not awaiting confirmation."))
        record(user, "ingest.import.discard", imp)
    imp.refresh_from_db()
    return imp


def _may_decide(user, imp: Import) -> None:
    """The uploader (while they may import) or HR and admins decide on a preview."""
    if not may_import(user):
        raise PermissionDenied(_("Only HR, admins and supervisors may import data."))
    if imp.created_by_id != user.pk and not access.scope_of(user).is_manager:
        raise PermissionDenied(_("Only the uploader, HR or an admin may confirm this import."))


def _check_profile(name: str) -> None:
    """Only the shipped profiles (by name): a path would let an upload read files of the server."""
    unknown = ValidationError(
        _("Unknown column profile %(name)s. Profiles: %(names)s")
        % {"name": name, "names": ", ".join(profile_names())}
    )
    if name not in profile_names():
        raise unknown
    try:
        load_profile(name)
    except ProfileError as e:
        raise ValidationError(str(e)) from e


def enqueue_import(import_id: int) -> None:
    """Hand the import to the task worker (``manage.py db_worker``)."""
    from merit.ingest.tasks import run_import_task

    result = run_import_task.enqueue(import_id)
    Import.objects.filter(pk=import_id).update(task_id=str(result.id)[:64])


def too_large_message(size: int, limit: int) -> str:
    return _("The upload is %(size)s; the limit is %(limit)s. Split it into smaller files.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }


def _clean_name(name: str) -> str:
    """A file name that is safe to store: no folders, no control characters, not hidden."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", name).strip().lstrip(".")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 110 - len(suffix)] + dot + suffix) if dot else name[:120]
    return name or "upload"


def _item(f):
    """(clean name, size, chunks()) of one uploaded file, whatever its form."""
    if isinstance(f, tuple | list) and len(f) == 2:
        name, content = f
        if isinstance(content, bytes | bytearray):
            data = bytes(content)
            return _clean_name(name), len(data), lambda: iter([data])
        path = Path(content)
        if not path.is_file():
            raise ValidationError(_("%(name)s: no such file.") % {"name": str(path)})

        def read_path():
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        return _clean_name(name), path.stat().st_size, read_path
    if hasattr(f, "chunks") and hasattr(f, "name"):
        return _clean_name(f.name), int(f.size or 0), f.chunks
    raise TypeError(f"not an uploaded file: {f!r}")


def _store(items, max_bytes: int) -> tuple[Path, list[dict], str]:
    """Copy the files under MEDIA_ROOT/imports/<sha256>/ (counting bytes: a size can lie)."""
    root = Path(settings.MEDIA_ROOT) / "imports"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    try:
        described = []
        written = 0
        for name, _size, chunks in items:
            h = hashlib.sha256()
            size = 0
            with open(tmp / name, "wb") as out:
                for chunk in chunks():
                    size += len(chunk)
                    written += len(chunk)
                    if written > max_bytes:
                        raise ValidationError(too_large_message(written, max_bytes))
                    h.update(chunk)
                    out.write(chunk)
            described.append({"name": name, "size": size, "sha256": h.hexdigest()})
        if len(described) == 1:
            sha = described[0]["sha256"]
        else:
            pairs = sorted((d["name"], d["sha256"]) for d in described)
            sha = hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()
        final = root / sha
        final.mkdir(exist_ok=True)
        for d in described:
            target = final / d["name"]
            if target.exists():
                (tmp / d["name"]).unlink()
            else:
                os.replace(tmp / d["name"], target)
        return final, described, sha
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _earlier_success(sha: str, profile: str, exclude: int | None = None) -> Import | None:
    qs = Import.objects.filter(file_sha256=sha, profile=profile, state=ImportState.SUCCEEDED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("created_at", "pk").first()


# ---- run ---------------------------------------------------------------------------------------


class _Failed(Exception):
    """The import is refused; ``problems`` say why (nothing was written)."""

    def __init__(self, problems: list[Problem], total: int | None = None, notices: list[str] = ()):
        self.problems = problems
        self.total = len(problems) if total is None else total
        self.notices = list(notices)


def run_import(import_id: int) -> Import:
    """Do the import ``import_id`` if it is queued (else leave it as it is) and return it."""
    now = timezone.now()
    claimed = Import.objects.filter(pk=import_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=now, progress=1, stage=UNPACKING
    )
    imp = Import.objects.select_related("created_by").get(pk=import_id)
    if not claimed:
        return imp
    progress = _Progress(imp.pk)
    try:
        with tempfile.TemporaryDirectory(prefix="merit-import-") as work:
            _process(imp, Path(work), progress)
    except _Failed as e:
        _finish(imp, ImportState.FAILED, problems=e.problems, total=e.total, notices=e.notices)
    except Exception as e:
        logger.exception("import %s failed", import_id)
        _finish(imp, ImportState.FAILED, error=f"{type(e).__name__}: {e}")
    finally:
        progress.close()
    imp.refresh_from_db()
    return imp


INTERRUPTED = (
    "interrupted: the worker stopped before the import finished; nothing was applied — upload it again"
)


def fail_interrupted_imports() -> int:
    """Mark imports left running by a worker that stopped (killed, machine restarted) as failed.

    Only call this while no worker runs (``merit serve --recover-interrupted`` does, before starting its
    worker). Nothing of such an import was applied: its rows are written in one transaction."""
    interrupted = list(Import.objects.filter(state=ImportState.RUNNING).select_related("created_by"))
    for imp in interrupted:
        _finish(imp, ImportState.FAILED, error=INTERRUPTED)
    return len(interrupted)


def _finish(
    imp: Import,
    state,
    *,
    problems=(),
    total=None,
    notices=None,
    summary=None,
    error="",
    dup=None,
    **extra,
):
    rows = [
        {"table": p.table, "row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
        for p in problems
    ]
    fields = dict(
        state=state,
        progress=100,
        stage=DONE,
        problems=rows,
        problem_count=len(rows) if total is None else total,
        error=error[:5000],
        finished_at=timezone.now(),
    )
    if notices is not None:
        fields["notices"] = notices
    if summary is not None:
        fields["summary"] = summary
    if dup is not None:
        fields["duplicate_of"] = dup
    Import.objects.filter(pk=imp.pk).update(**fields, **extra)


def _process(imp: Import, work: Path, progress: _Progress) -> None:
    earlier = _earlier_success(imp.file_sha256, imp.profile, exclude=imp.pk)
    if earlier is not None:
        zero = {t: {"read": 0, "inserted": 0, "updated": 0, "unchanged": 0} for t in earlier.summary}
        _finish(imp, ImportState.DUPLICATE, summary=zero, dup=earlier)
        return
    user = imp.created_by
    scope = access.scope_of(user)
    if not may_import(user):
        raise _Failed([Problem(PACKAGE, None, None, user.get_username(), "this user may no longer import")])
    notices: list[str] = []
    upload = work / "upload"
    stored = [Path(settings.MEDIA_ROOT) / imp.stored_path / f["name"] for f in imp.files]
    try:
        unpack(stored, upload, limits(), notices)
    except Refused as e:
        raise _Failed([e.problem], notices=notices) from None

    progress.save(10, READING)
    profile = None
    if imp.profile:
        try:
            profile = load_profile(imp.profile)
        except ProfileError as e:
            raise _Failed([Problem(PACKAGE, None, None, imp.profile, str(e))]) from None
    max_rows = settings.MERIT_IMPORT_MAX_ROWS
    prep = prepare(upload, work / "package", profile, max_rows=max_rows)
    prep.notices[:0] = notices
    if not prep.tables and not prep.problems:
        raise _Failed(
            [
                Problem(
                    PACKAGE,
                    None,
                    None,
                    None,
                    "no table found: name files like tickets.csv, or choose a profile",
                )
            ],
            notices=prep.notices,
        )
    rows = _count_rows(prep)
    if rows > max_rows:
        reason = f"{rows} rows in the upload; the limit is {max_rows}: split it into smaller files"
        raise _Failed([Problem(PACKAGE, None, None, None, reason)], notices=prep.notices)

    if scope.is_manager:
        _add_org(prep, team_id=None)
    else:
        _limit_to_team(prep, scope)
    uploaded = sorted(prep.tables)  # the org tables added above are for validation only

    progress.save(30, VALIDATING)
    try:
        pkg = prep.load()
    except PackageError as e:
        problems = _team_reasons(e.problems, scope)
        raise _Failed(problems, total=e.total, notices=_shown_notices(prep.notices)) from None
    try:
        notices = _shown_notices(pkg.notices)
        if not scope.is_manager:
            _check_shop_rows(pkg, uploaded)
        totals = {t: pkg.con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in uploaded}
        progress.save(50, WRITING)
        progress.writing(totals)
        from merit.audit.log import record
        from merit.facts.io import Changes, write_tables

        previewing = imp.preview_first and imp.confirmed_at is None
        changes = Changes()
        try:
            with transaction.atomic():
                counts = write_tables(
                    pkg.con, uploaded, batch=imp.pk, progress=progress.during_write, changes=changes
                )
                summary = {t: asdict(c) if not isinstance(c, dict) else c for t, c in counts.items()}
                if previewing:
                    # what it would do, measured by doing it, then undone: nothing of a preview stays
                    transaction.set_rollback(True)
                else:
                    if imp.preview_first and summary != imp.previewed_summary:
                        raise _Failed([_stale_preview(imp.previewed_summary, summary)], notices=notices)
                    detail = {"file_sha256": imp.file_sha256, "tables": summary, "months": changes.months}
                    record(user, "ingest.import.apply", imp, detail=detail)
        except PackageError as e:
            raise _Failed(_team_reasons(e.problems, scope), total=e.total, notices=notices) from None
    finally:
        pkg.con.close()
    found = {"changes": changes.rows, "months": changes.months}
    if previewing:
        _finish(
            imp, ImportState.PREVIEWED, summary=summary, notices=notices, previewed_summary=summary, **found
        )
    else:
        _finish(imp, ImportState.SUCCEEDED, summary=summary, notices=notices, **found)


def _stale_preview(previewed: dict, now: dict) -> Problem:
    """The data in merit changed between the preview and its confirmation: say which table differs."""
    tables = sorted(t for t in set(previewed) | set(now) if previewed.get(t) != now.get(t))
    parts = []
    for t in tables:
        p, n = previewed.get(t) or {}, now.get(t) or {}
        parts.append(
            f"{t}: previewed {p.get('inserted', 0)} new and {p.get('updated', 0)} changed, "
            f"now {n.get('inserted', 0)} new and {n.get('updated', 0)} changed"
        )
    reason = (
        "the data in merit changed since the preview (" + "; ".join(parts) + "): nothing was applied; "
        "upload the file again to see a new preview"
    )
    return Problem(PACKAGE, None, None, None, reason)


def _shown_notices(notices: list[str]) -> list[str]:
    """The notices worth showing: an import leaves absent tables alone, so saying so is noise."""
    return [n for n in notices if not (n.startswith("table ") and n.endswith(" absent: treated as empty"))]


def _count_rows(prep: Prepared) -> int:
    n = prep.rows  # rows of converted files and sheets, counted while they were written
    for origin in prep.origins.values():
        if origin.converted:
            continue
        path = prep.folder / origin.file
        n += csv_records(path) if path.suffix == ".csv" else parquet_rows(path)
    return n


# ---- org tables and team scope -----------------------------------------------------------------


def _add_org(prep: Prepared, team_id: int | None) -> None:
    """Write the database's agents and teams beside the upload when it has none, so references
    validate. For a supervisor only their team and its agents (other agents are then unknown)."""
    from merit.facts.io import export_org

    missing = [t for t in ORG_TABLES if t not in prep.tables]
    if not missing:
        return
    org = prep.folder.parent / "org"
    export_org(org)
    if team_id is not None:
        _keep_team(org, team_id)
    for t in missing:
        shutil.copyfile(org / f"{t}.csv", prep.folder / f"{t}.csv")


def _keep_team(org: Path, team_pk: int) -> None:
    import csv

    team = Team.objects.get(pk=team_pk)
    mine = set(Agent.objects.filter(team_id=team_pk).values_list("agent_id", flat=True))
    for name, keep in (
        ("agents", lambda r: r["agent_id"] in mine),
        ("teams", lambda r: r["team_id"] == team.team_id),
    ):
        path = org / f"{name}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            rows = [r for r in reader if keep(r)]
        if name == "teams":
            for r in rows:
                if r.get("lead_agent_id") not in mine:
                    r["lead_agent_id"] = ""
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)


def _limit_to_team(prep: Prepared, scope) -> None:
    """A supervisor's upload: agents and teams come from the database (their own team only), shop-wide
    tables are refused."""
    for t in ORG_TABLES:
        if t in prep.tables:
            prep.notices.append(
                f"{prep.origins[t].display}: ignored (only HR or an admin imports agents and teams); "
                "the agents of your team in merit are used"
            )
            prep.drop(t)
    if "benchmarks" in prep.tables:
        prep.problems.add("benchmarks", None, None, None, "only HR or an admin may import benchmarks")
    _add_org(prep, team_id=scope.team_id)


def _team_reasons(problems: list[Problem], scope) -> list[Problem]:
    """For a supervisor, an agent unknown to the upload but known to merit is another team's agent."""
    if scope.kind != access.TEAM:
        return problems
    values = {p.value for p in problems if p.reason == R_UNKNOWN_AGENT and p.value}
    others = set(Agent.objects.filter(agent_id__in=values).values_list("agent_id", flat=True))
    out = []
    for p in problems:
        if p.reason == R_UNKNOWN_AGENT and p.value in others:
            p = Problem(p.table, p.row, p.column, p.value, f"agent {p.value} is not in your team")
        out.append(p)
    return out


def _check_shop_rows(pkg, uploaded: list[str]) -> None:
    """Rows without an agent (shop-wide sales) belong to no team: only HR or an admin imports them."""
    problems = []
    for t in uploaded:
        refs = [c.name for c in T.TABLES[t].columns if c.agent_ref]
        for col in refs:
            n = pkg.con.execute(f'SELECT count(*) FROM "{t}" WHERE "{col}" IS NULL').fetchone()[0]
            if n:
                problems.append(
                    Problem(
                        t,
                        None,
                        col,
                        None,
                        f"{n} shop-wide row(s) without an agent: only HR or an admin may import them",
                    )
                )
    if problems:
        raise _Failed(problems)


# ---- progress ----------------------------------------------------------------------------------


class _Progress:
    """Saves progress on the Import row. Outside the write transaction each save is its own short
    transaction; during it (PostgreSQL only, see the module docstring) a second connection is used."""

    THROTTLE_S = 0.5

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.side = None
        self.last = 0.0

    def save(self, percent: int, stage: str) -> None:
        Import.objects.filter(pk=self.import_id).update(progress=percent, stage=stage)

    def writing(self, totals: dict[str, int]) -> None:
        self.totals = totals

    def during_write(self, table: str, done: int, total: int) -> None:
        self.done[table] = done
        if connection.vendor == "sqlite":
            return  # the write lock is this transaction's until it commits
        now = time.monotonic()
        if now - self.last < self.THROTTLE_S:
            return
        self.last = now
        grand = sum(self.totals.values()) or 1
        percent = 50 + int(45 * min(1.0, sum(self.done.values()) / grand))
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.side.cursor() as cur:
                table_name = self.side.ops.quote_name(Import._meta.db_table)
                cur.execute(f"UPDATE {table_name} SET progress = %s WHERE id = %s", [percent, self.import_id])
        except Exception:  # progress is a courtesy: never let it fail the import
            logger.warning("import %s: progress not saved", self.import_id, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None
