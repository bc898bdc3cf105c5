"""Writing the audit trail: ``record(...)``, the canonical form of a row and its hash, and who is acting.

Each row's ``hash`` is ``sha256(prev_hash + canonical content)``, where the content is the canonical
JSON (sorted keys, no spaces, UTF-8) of its seq, time, actor, action, target and before/after/detail;
``prev_hash`` is the previous row's hash (64 zeros for the first). Appends are serialized so that the
chain stays linear: on PostgreSQL by a transaction-level advisory lock taken before the last row is read,
on SQLite by the write lock that the IMMEDIATE transaction already holds. ``seq`` is the last seq + 1,
read under that lock: a transaction rolled back leaves no gap.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

import orjson
from django.db import connections, models, router, transaction
from django.utils import timezone

from merit.audit.models import GENESIS, AuditEntry

# pg_advisory_xact_lock key of the audit chain: "merit" in ASCII.
CHAIN_LOCK = 0x6D65726974

_request: ContextVar = ContextVar("merit_audit_request", default=None)
_acting: ContextVar = ContextVar("merit_audit_acting", default=None)  # (user,) when set by acting_as


# ---- who is acting -----------------------------------------------------------------------------------


def current_actor():
    """The user on whose behalf the current code runs: the one given to :func:`acting_as`, else the
    signed-in user of the request being served (``ActorMiddleware``; an API token's user too), else None
    (the system: background work, commands)."""
    acting = _acting.get()
    if acting is not None:
        return acting[0]
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is None or not user.is_authenticated:
        return None
    return user


@contextlib.contextmanager
def acting_as(user):
    """Writes inside the block are recorded as done by ``user`` (None: the system)."""
    token = _acting.set((user,))
    try:
        yield
    finally:
        _acting.reset(token)


@contextlib.contextmanager
def serving(request):
    """The request being served (used by ``ActorMiddleware``)."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


# ---- canonical form ----------------------------------------------------------------------------------

_INT64 = 1 << 63


def utc_text(value: datetime) -> str:
    """A time as text, in UTC when it knows its zone."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat()


def jsonable(value):
    """``value`` as plain JSON data (dict, list, str, int, bool, None), the way it is stored and hashed:
    Decimal as its text ("1200.50"), times as ISO text (UTC), floats as text (a JSON number could come
    back from the database spelt differently), integers beyond 64 bits as text, model instances as their
    primary key, bytes as their size and SHA-256 (never their content)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value) if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=canonical)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def canonical(value) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (``value`` already :func:`jsonable`)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def at_text(at: datetime) -> str:
    """The row's time in the hashed content: UTC, always with microseconds."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_of(seq, at, actor_id, actor_name, action, target_type, target_id, before, after, detail) -> bytes:
    """The canonical content of a row: what its hash covers besides ``prev_hash``."""
    return canonical(
        {
            "seq": seq,
            "at": at_text(at),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "before": before,
            "after": after,
            "detail": detail,
        }
    )


def chain_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


# ---- writing -----------------------------------------------------------------------------------------


def _actor(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, actor.get_username()


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, "" if target.pk is None else str(target.pk)
    kind, ident = target  # ("app_label.model", id)
    return str(kind), str(ident)


def record(
    actor,
    action: str,
    target=None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one row to the audit trail and return it.

    Call it inside the transaction of the write it describes (it joins that transaction; alone, it
    opens its own). ``actor``: a user, or None for the system. ``target``: the model instance written,
    or None with ``detail`` naming what (a bulk write: ``{"table": "ledger_entries", "rows": 120}``).
    ``before``/``after``: the values changed (never a secret: record that a password changed, not the
    value). Values are stored as plain JSON (see :func:`jsonable`)."""
    actor_id, actor_name = _actor(actor)
    target_type, target_id = _target(target)
    before, after, detail = (None if v is None else jsonable(v) for v in (before, after, detail))
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using, savepoint=False):
        conn = connections[using]
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        last = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = timezone.now()
        content = content_of(
            seq, at, actor_id, actor_name, action, target_type, target_id, before, after, detail
        )
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=before,
            after=after,
            detail=detail,
            prev_hash=prev_hash,
            hash=chain_hash(prev_hash, content),
        )
        entry.save(force_insert=True, using=using)
    return entry
