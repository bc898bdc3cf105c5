"""Facts: one read-only endpoint per event table of the data package (GET /api/facts/<table>).

Rows come out with the package's column names, ordered by the table's natural key; decimals as strings,
times in ISO 8601 with the Asia/Shanghai offset (+08:00). An agent reads their own rows, a supervisor
their team's, HR and admins all (``merit.org.access.filter_to_user``); benchmarks (industry averages,
no agent) are readable by anyone with a role.
"""

# No ``from __future__ import annotations`` here: the endpoints are built in a loop and ninja must see
# their real parameter types.

from calendar import monthrange
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from merit.api.common import FIRST_YEAR, LAST_YEAR, SHANGHAI, Page, PageQuery, field_error, page, scope
from merit.engine import tables as T
from merit.facts.models import CLASS_NAMES, FACT_MODELS
from merit.org.access import NONE, filter_to_user

router = Router(tags=["facts 事实数据"])

PYTHON_TYPES = {
    T.ID: str,
    T.TEXT: str,
    T.INT: int,
    T.DECIMAL: str,  # exact: a decimal string, never a float
    T.BOOL: bool,
    T.TIMESTAMP: datetime,
    T.DATE: date,
    T.PERIOD: str,
}
PERIOD_PATTERN = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"  # 1970-01 … 2999-12


class FactQuery(PageQuery):
    period: str | None = Field(None, pattern=PERIOD_PATTERN, description="月份 YYYY-MM (Asia/Shanghai)")
    from_: str | None = Field(
        None,
        alias="from",
        description="起（含） from, inclusive: YYYY-MM-DD or an ISO 8601 time (no zone = +08:00); "
        "YYYY-MM for monthly tables",
    )
    to: str | None = Field(
        None,
        description="止（含） to, inclusive: a date means the whole day; YYYY-MM for monthly tables",
    )


class AgentFactQuery(FactQuery):
    agent_id: str | None = Field(None, description="客服编号 one agent's rows")


def _row_schema(table: T.Table) -> type[Schema]:
    fields = {}
    for col in table.columns:
        typ = PYTHON_TYPES[col.type]
        desc = f"{col.type}" + (f": {', '.join(col.choices)}" if col.choices else "")
        if col.required:
            fields[col.name] = (typ, Field(description=desc))
        else:
            fields[col.name] = (typ | None, Field(None, description=desc))
    return create_model(f"{CLASS_NAMES[table.name]}Row", __base__=Schema, **fields)


def _month(period: str) -> tuple[date, date]:
    year, month = int(period[:4]), int(period[5:7])
    first = date(year, month, 1)
    return first, first + timedelta(days=monthrange(year, month)[1])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _in_range(year: int, value: str, param: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise field_error(
            "query",
            param,
            msg=f"{value!r}: 年份须在 {FIRST_YEAR}–{LAST_YEAR} 之间 the year must be {FIRST_YEAR}–{LAST_YEAR}",
        )


def _bound(col: T.Column, value: str, param: str):
    """The filter value of ``from``/``to`` for the time column, and whether it is a whole day."""
    try:
        if col.type == T.PERIOD:
            if len(value) != 7:
                raise ValueError
            _month(value)
            _in_range(int(value[:4]), value, param)
            return value, False
        if len(value) == 10:
            day = date.fromisoformat(value)
            _in_range(day.year, value, param)
            return day, True
        if col.type == T.DATE:
            raise ValueError
        moment = datetime.fromisoformat(value)
        _in_range(moment.year, value, param)
        return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)), False
    except ValueError:
        expected = {T.PERIOD: "YYYY-MM", T.DATE: "YYYY-MM-DD"}.get(
            col.type, "YYYY-MM-DD 或 ISO 8601 时间 or an ISO 8601 time"
        )
        raise field_error("query", param, msg=f"{value!r} 格式不对，应为 should be {expected}") from None


def _time_filter(qs, col: T.Column, query: FactQuery):
    name = col.name
    if query.period:
        if col.type == T.PERIOD:
            qs = qs.filter(**{name: query.period})
        else:
            first, after = _month(query.period)
            if col.type == T.TIMESTAMP:
                first, after = _start_of(first), _start_of(after)
            qs = qs.filter(**{f"{name}__gte": first, f"{name}__lt": after})
    if query.from_:
        value, whole_day = _bound(col, query.from_, "from")
        if whole_day and col.type == T.TIMESTAMP:
            value = _start_of(value)
        qs = qs.filter(**{f"{name}__gte": value})
    if query.to:
        value, whole_day = _bound(col, query.to, "to")
        if whole_day and col.type == T.TIMESTAMP:
            qs = qs.filter(**{f"{name}__lt": _start_of(value + timedelta(days=1))})
        else:
            qs = qs.filter(**{f"{name}__lte": value})
    return qs


def _converter(table: T.Table):
    decimals = [c.name for c in table.columns if c.type == T.DECIMAL]
    times = [c.name for c in table.columns if c.type == T.TIMESTAMP]

    def convert(row: dict) -> dict:
        for name in decimals:
            if row[name] is not None:
                row[name] = str(row[name])
        for name in times:
            if row[name] is not None:
                row[name] = timezone.localtime(row[name], SHANGHAI)
        return row

    return convert


def _add_endpoint(table_name: str) -> None:
    model = FACT_MODELS[table_name]
    table: T.Table = model.TABLE
    time_col = table.column(table.time)
    has_agent = any(c.agent_ref for c in table.columns)
    row_schema = _row_schema(table)
    convert = _converter(table)
    query_schema = AgentFactQuery if has_agent else FactQuery

    def list_rows(request, query: Query[query_schema]):
        if has_agent:
            qs = filter_to_user(model.objects.all(), request.auth, agent="agent")
            if query.agent_id is not None:
                qs = qs.filter(agent_id=query.agent_id)
        else:
            qs = model.objects.none() if scope(request).kind == NONE else model.objects.all()
        qs = _time_filter(qs, time_col, query).order_by(*table.key).values(*table.column_names)
        return page(qs, query, convert)

    list_rows.__name__ = f"list_{table_name}"
    list_rows.__doc__ = (
        f"{table.label_zh}（{table_name}）：时间列 {table.time}，按 {', '.join(table.key)} 排序。"
        f"\n\n{table_name}: time column `{table.time}`, ordered by its natural key ({', '.join(table.key)}). "
        "Filters: " + ("agent_id, " if has_agent else "") + "period=YYYY-MM, from, to (inclusive)."
    )
    router.get(
        f"/{table_name}",
        response=Page[row_schema],
        operation_id=f"list_facts_{table_name}",
        summary=f"{table.label_zh} {table_name}",
    )(list_rows)


for _name in FACT_MODELS:
    _add_endpoint(_name)
