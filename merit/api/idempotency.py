"""Idempotency keys for creating requests (``Idempotency-Key`` header, optional but honoured).

A client that is not sure its POST arrived (timeout, lost connection) sends it again with the same key:

- same user, key, method, path and body → the stored answer is replayed (same status, same JSON,
  header ``Idempotent-Replayed: true``); nothing is created twice;
- same key with another body or path → 409;
- same key while the first request is still running → 409 (retry shortly); a request that died without
  an answer frees its key after 5 minutes (``ABANDONED``).

The unique (user, key) constraint decides between concurrent duplicates: the request that inserts the
record runs, the others read it. Only successful answers are kept; a refused request (4xx) or a failure
frees the key for another try. Records are honoured for 24 hours (``TTL``); ``manage.py
purge_idempotency_records`` deletes older ones.

The body is compared by its meaning: JSON is canonicalised (key order and spacing do not matter);
multipart uploads are hashed from their form fields and the bytes of every file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from datetime import timedelta
from typing import Annotated

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from ninja import Header, Status
from ninja.errors import HttpError
from ninja.signature.utils import get_typed_signature
from pydantic import BaseModel

from merit.api.common import dumps
from merit.api.models import IdempotencyRecord

TTL = timedelta(hours=24)
# A record still without an answer after this long belongs to a request that died (its work was rolled
# back with it: the answer is saved in the same transaction as the work); the key is free again.
ABANDONED = timedelta(minutes=5)
HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
CONTENT_TYPE = "application/json; charset=utf-8"


# The documented ``Idempotency-Key`` header parameter of a creating POST:
# ``idempotency_key: IdempotencyKey = None``.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        description="可选：幂等键，24 小时内同键同内容的重复请求返回首次结果，不会重复创建。"
        " Optional: the same key and body within 24 h replay the first answer; another body → 409.",
    ),
]


def request_fingerprint(request) -> str:
    """SHA-256 of what the request asks for: canonical JSON, or the form fields and file bytes."""
    h = hashlib.sha256()
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                h.update(f"field\0{name}\0{value}\n".encode())
        for name in sorted(request.FILES):
            files = []
            for f in request.FILES.getlist(name):
                fh = hashlib.sha256()
                for chunk in f.chunks():
                    fh.update(chunk)
                f.seek(0)
                files.append(f"file\0{name}\0{f.name}\0{fh.hexdigest()}\n")
            for line in sorted(files):
                h.update(line.encode())
        return h.hexdigest()
    body = request.body
    with contextlib.suppress(ValueError):  # not JSON: hash the bytes as sent
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    h.update(body)
    return h.hexdigest()


def render(result) -> tuple[int, str]:
    """The status and JSON text ninja would send for a view's result."""
    status, value = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return status, dumps(value)


def _response(status: int, text: str, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type=CONTENT_TYPE)
    if replayed:
        response[REPLAY_HEADER] = "true"
    return response


def _claim(user, key: str, method: str, path: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Insert the record of a new request, or find the one already there: (record, inserted)."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(user=user, key=key).filter(
        Q(created_at__lt=now - TTL) | Q(status_code__isnull=True, created_at__lt=now - ABANDONED)
    ).delete()
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=method, path=path, request_sha256=fingerprint
                )
            return record, True
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if record is not None:
                return record, False
            # The first request failed and freed the key between our insert and our read: try again.
    raise HttpError(409, "幂等键正被其他请求使用，请稍后重试 This Idempotency-Key is in use; retry shortly")


def _answer_existing(record: IdempotencyRecord, method: str, path: str, fingerprint: str) -> HttpResponse:
    if (record.method, record.path, record.request_sha256) != (method, path, fingerprint):
        raise HttpError(
            409,
            "此幂等键已用于另一个请求（路径或内容不同），请换一个新键 "
            f"This Idempotency-Key was already used for another request ({record.method} {record.path} "
            "with another body); use a new key",
        )
    if record.status_code is None:
        raise HttpError(
            409,
            "同一幂等键的请求仍在处理中，请稍后重试 "
            "A request with this Idempotency-Key is still being processed; retry shortly",
        )
    return _response(record.status_code, record.response_body, replayed=True)


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def idempotent(view):
    """Make a creating view honour ``Idempotency-Key``. The view declares the header parameter
    ``idempotency_key: IdempotencyKey = None`` (so it is documented) and returns ``Status``."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = kwargs.get("idempotency_key")
        if not key:
            return _response(*render(view(request, *args, **kwargs)))
        method, path, fingerprint = request.method, request.path, request_fingerprint(request)
        record, inserted = _claim(request.auth, key, method, path, fingerprint)
        if not inserted:
            return _answer_existing(record, method, path, fingerprint)
        try:
            with transaction.atomic():
                status, text = render(view(request, *args, **kwargs))
                if status < 400:
                    IdempotencyRecord.objects.filter(pk=record.pk).update(
                        status_code=status, response_body=text
                    )
        except BaseException:
            _release(record)
            raise
        if status >= 400:
            _release(record)
        return _response(status, text)

    # ninja reads the parameters from the signature; resolve the view's annotations in its own module.
    wrapper.__signature__ = get_typed_signature(view)
    return wrapper


def purge_expired() -> int:
    """Delete records older than ``TTL``; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return deleted
