"""What every endpoint shares: input schemas that refuse unknown fields, pages, errors, the caller's scope."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel, ConfigDict, field_validator

from merit.org.access import Scope, scope_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_ID = 2**63 - 1  # the largest id a database row can have (SQLite and PostgreSQL bigint)
MAX_OFFSET = 1_000_000_000  # beyond any table here; a larger offset is a mistake, refused with a 422
FIRST_YEAR, LAST_YEAR = 1970, 2999  # dates and months the API accepts (docs/api.md)

T = TypeVar("T")


class Renderer(JSONRenderer):
    """JSON as UTF-8 text: Chinese names stay readable (``"李明"``, not ``"\\u674e\\u660e"``)."""

    json_dumps_params = {"ensure_ascii": False}


def dumps(value) -> str:
    """The JSON text the API sends for ``value`` (also what idempotent replays store)."""
    return json.dumps(value, cls=NinjaJSONEncoder, **Renderer.json_dumps_params)


NUL_MESSAGE = "不能包含 NUL 字符 must not contain NUL (\\x00) characters"


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


class Input(Schema):
    """A request body: a field the client may not set is refused (422), never silently applied; text with a
    NUL character (which PostgreSQL cannot store) is refused naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_without_nul(cls, value):
        return _no_nul(value)


class PageQuery(Schema):
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description=f"每页条数 page size (≤ {MAX_PAGE})")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"跳过条数 rows to skip (≤ {MAX_OFFSET})")

    @field_validator("*", mode="before")
    @classmethod
    def _text_without_nul(cls, value):
        return _no_nul(value)


class Page(BaseModel, Generic[T]):
    count: int = Field(description="符合条件的总数 rows matching the filters")
    limit: int
    offset: int
    items: list[T]


class Message(Schema):
    detail: str


def page(rows, query: PageQuery, convert: Callable = lambda row: row) -> dict:
    """One page of a queryset or list, with the total count."""
    count = len(rows) if isinstance(rows, Sequence) else rows.count()
    chunk = rows[query.offset : query.offset + query.limit]
    return {
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
        "items": [convert(r) for r in chunk],
    }


def scope(request) -> Scope:
    return scope_of(request.auth)


def require_manager(request, what: str) -> None:
    """HR and admins only (403 for anyone else, who got this far because the object is in scope)."""
    if not scope(request).is_manager:
        raise PermissionDenied(f"仅人力资源或管理员可以{what} Only HR and admins may do this")


def field_error(*loc: str, msg: str) -> ValidationError:
    """A 422 naming the field (``loc`` as in the schema's own errors: "body", "payload", "team_id")."""
    return ValidationError([{"type": "value_error", "loc": list(loc), "msg": msg}])


def body_error(field: str, msg: str) -> ValidationError:
    """A 422 naming a field of the JSON body (the view's ``payload`` parameter)."""
    return field_error("body", "payload", field, msg=msg)
