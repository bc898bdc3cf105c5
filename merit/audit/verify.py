"""Verifying the audit chain: every row's hash recomputed, in seq order, in chunks.

The first broken link is named with its cause:

- ``missing``: a gap in seq (rows deleted; also a first row whose seq is not 1);
- ``link``: the row's prev_hash is not the previous row's hash (the previous row was rewritten with a
  recomputed hash, or this row's prev_hash was changed);
- ``altered``: the row's content does not give its stored hash (its content, or its hash, was changed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

import orjson
from django.db import connections, router
from django.utils.dateparse import parse_datetime

from merit.audit.log import at_text
from merit.audit.models import GENESIS, AuditEntry

CHUNK = 20_000


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str  # "missing" | "link" | "altered"
    message: str


@dataclass(frozen=True)
class Verdict:
    count: int  # rows checked (up to the break)
    last_seq: int | None
    last_hash: str
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _select(conn) -> str:
    table = conn.ops.quote_name(AuditEntry._meta.db_table)
    if conn.vendor == "postgresql":
        # The time as the hashed text, and the JSON as text parsed below like SQLite's: no per-row
        # conversions in Python.
        at = """to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        cast = "::text"
    else:
        at = """("at" || '')"""  # the stored text, without the driver's conversion to datetime
        cast = ""
    json_cols = ", ".join(f'"{c}"{cast}' for c in ("before", "after", "detail"))
    return (
        f'SELECT "seq", {at}, "actor_id", "actor_name", "action", "target_type", "target_id", {json_cols}, '
        f'"prev_hash", "hash" FROM {table} WHERE "seq" > %s ORDER BY "seq" LIMIT %s'
    )


def _at(value) -> str:
    """The row's time as hashed (:func:`merit.audit.log.at_text`) from what the database gave."""
    if isinstance(value, str):
        if len(value) == 27 and value[10] == "T" and value[-1] == "Z":
            return value  # PostgreSQL, formatted by the query
        if len(value) == 26 and value[10] == " ":  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC
            return f"{value[:10]}T{value[11:]}Z"
        if len(value) == 19 and value[10] == " ":  # … without microseconds when they are 0
            return f"{value[:10]}T{value[11:]}.000000Z"
        value = parse_datetime(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return at_text(value)


def _json(text):
    if text is None:
        return None
    if isinstance(text, str | bytes):
        return orjson.loads(text)
    return text


def verify(*, using: str | None = None, chunk: int = CHUNK, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the whole chain and return the verdict (the first broken link, if any).

    ``anchor``: (seq, hash) noted earlier outside the database (the last line of an earlier verify):
    the row ``seq`` must still exist with that hash, which detects a chain rewritten from that row on
    or cut short before it."""
    using = using or router.db_for_read(AuditEntry)
    conn = connections[using]
    sql = _select(conn)
    prev_seq, prev_hash, count = 0, GENESIS, 0
    sha256, dumps, sort = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS
    anchor_seen = anchor is None
    with conn.cursor() as cursor:
        while True:
            cursor.execute(sql, [prev_seq, chunk])
            rows = cursor.fetchall()
            if not rows:
                break
            for seq, at, actor_id, actor_name, action, ttype, tid, before, after, detail, ph, h in rows:
                if seq != prev_seq + 1:
                    first = prev_seq + 1
                    gone = f"seq {first}" if seq == first + 1 else f"seq {first}–{seq - 1}"
                    return Verdict(
                        count,
                        prev_seq or None,
                        prev_hash,
                        Break(seq, "missing", f"{gone} missing: rows were deleted before seq {seq}"),
                    )
                if ph != prev_hash:
                    what = "the genesis hash (64 zeros)" if prev_seq == 0 else f"the hash of seq {prev_seq}"
                    return Verdict(
                        count,
                        prev_seq or None,
                        prev_hash,
                        Break(
                            seq,
                            "link",
                            f"prev_hash of seq {seq} is not {what}: that row was rewritten, or this link "
                            "was changed",
                        ),
                    )
                content = dumps(
                    {
                        "seq": seq,
                        "at": _at(at),
                        "actor_id": actor_id,
                        "actor_name": actor_name,
                        "action": action,
                        "target_type": ttype,
                        "target_id": tid,
                        "before": _json(before),
                        "after": _json(after),
                        "detail": _json(detail),
                    },
                    option=sort,
                )
                if sha256(ph.encode("ascii") + content).hexdigest() != h:
                    return Verdict(
                        count,
                        prev_seq or None,
                        prev_hash,
                        Break(seq, "altered", f"seq {seq} was altered: its content does not give its hash"),
                    )
                if not anchor_seen and seq == anchor[0]:
                    if h != anchor[1]:
                        return Verdict(
                            count,
                            prev_seq or None,
                            prev_hash,
                            Break(seq, "anchor", f"seq {seq} no longer has the hash noted earlier"),
                        )
                    anchor_seen = True
                prev_seq, prev_hash, count = seq, h, count + 1
    if not anchor_seen:
        return Verdict(
            count,
            prev_seq or None,
            prev_hash,
            Break(anchor[0], "missing", f"seq {anchor[0]} noted earlier is gone: the chain was cut short"),
        )
    return Verdict(count, prev_seq or None, prev_hash)
