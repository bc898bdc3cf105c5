"""One model per event table of the data package, built from the engine's table contract.

``merit.engine.tables`` is the single source of truth for columns, types and natural keys; the models
below are generated from it so that the database and the package can never disagree. Every model has:

- the package's columns with the same names (``agent_id`` is a foreign key to ``org.Agent`` on its
  natural key, so the column holds the agent id text the engine reads);
- a unique constraint on the natural key (re-importing a row updates it instead of duplicating it);
- an index on (agent_id, time column) and on the time column alone: the engine reads one period at a
  time, all agents, and pages read one agent's rows of a period;
- ``batch``: the import that last wrote the row (provenance; not part of the package).

Agents and teams live in ``merit.org`` (they are people, not events).
"""

from __future__ import annotations

from django.db import models

from merit.engine import tables as T

ORG_TABLES = ("agents", "teams")
FACT_TABLES = tuple(name for name in T.TABLES if name not in ORG_TABLES)

# Model class names by table (the admin, the API and the importer look them up here).
CLASS_NAMES = {
    "tickets": "Ticket",
    "chats": "Chat",
    "ratings": "Rating",
    "refunds": "Refund",
    "qa_reviews": "QaReview",
    "attendance": "Attendance",
    "incidents": "Incident",
    "sales": "Sale",
    "manual_scores": "ManualScore",
    "benchmarks": "Benchmark",
    "redemptions": "Redemption",
    "exams": "Exam",
}


def _field(col: T.Column) -> models.Field:
    null = not col.required
    kw = {"null": null, "blank": null}
    if col.agent_ref:
        return models.ForeignKey(
            "org.Agent",
            to_field="agent_id",
            db_column="agent_id",
            on_delete=models.PROTECT,
            related_name="+",
            db_index=False,  # covered by the (agent_id, time) index
            **kw,
        )
    if col.type == T.ID:
        return models.CharField(max_length=64, **kw)
    if col.type == T.TEXT:
        if col.choices:
            return models.CharField(max_length=32, choices=[(c, c) for c in col.choices], **kw)
        return models.TextField(**kw)
    if col.type == T.INT:
        return models.BigIntegerField(**kw)
    if col.type == T.DECIMAL:
        return models.DecimalField(max_digits=18, decimal_places=4, **kw)  # DECIMAL(18,4) as in the engine
    if col.type == T.BOOL:
        return models.BooleanField(**kw)
    if col.type == T.TIMESTAMP:
        return models.DateTimeField(**kw)  # stored in UTC
    if col.type == T.DATE:
        return models.DateField(**kw)
    if col.type == T.PERIOD:
        return models.CharField(max_length=7, **kw)  # YYYY-MM
    raise ValueError(f"no database type for column type {col.type!r}")


def field_name(col: T.Column) -> str:
    """The model attribute of a package column (``agent_id`` → ``agent``, whose column is agent_id)."""
    return "agent" if col.agent_ref else col.name


def _model(table: T.Table) -> type[models.Model]:
    name = CLASS_NAMES[table.name]
    attrs: dict = {"__module__": __name__}
    for col in table.columns:
        attrs[field_name(col)] = _field(col)
    attrs["batch"] = models.BigIntegerField("导入批次 import", null=True, blank=True, editable=False)
    key = [field_name(table.column(k)) for k in table.key]
    indexes = []
    if table.time:
        time_field = field_name(table.column(table.time))
        if "agent" in attrs and time_field != "agent":
            indexes.append(models.Index(fields=["agent", time_field], name=f"{table.name}_agent_time"))
        indexes.append(models.Index(fields=[time_field], name=f"{table.name}_time"))
    meta = type(
        "Meta",
        (),
        {
            "db_table": f"facts_{table.name}",
            "constraints": [models.UniqueConstraint(fields=key, name=f"{table.name}_natural_key")],
            "indexes": indexes,
            "verbose_name": f"{table.label_zh} {table.name}",
            "verbose_name_plural": f"{table.label_zh} {table.name}",
        },
    )
    attrs["Meta"] = meta
    attrs["__str__"] = lambda self: " · ".join(
        str(getattr(self, f + "_id" if f == "agent" else f)) for f in key
    )
    attrs["TABLE"] = table
    return type(name, (models.Model,), attrs)


FACT_MODELS: dict[str, type[models.Model]] = {name: _model(T.TABLES[name]) for name in FACT_TABLES}

Ticket = FACT_MODELS["tickets"]
Chat = FACT_MODELS["chats"]
Rating = FACT_MODELS["ratings"]
Refund = FACT_MODELS["refunds"]
QaReview = FACT_MODELS["qa_reviews"]
Attendance = FACT_MODELS["attendance"]
Incident = FACT_MODELS["incidents"]
Sale = FACT_MODELS["sales"]
ManualScore = FACT_MODELS["manual_scores"]
Benchmark = FACT_MODELS["benchmarks"]
Redemption = FACT_MODELS["redemptions"]
Exam = FACT_MODELS["exams"]
