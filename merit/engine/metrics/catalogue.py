"""The metric catalogue: every KPI as data (catalogue.yaml), never as a hand-written function.

A metric is a source table, an aggregate over the rows of one period, an optional filter, a unit and
a better direction. Every aggregate is reduced to exact *parts* (row counts and sums of integers or
decimals), which the backend computes set-based; the value is then ``numerator / denominator`` in
exact decimals. That keeps DuckDB and Spark answers identical, makes every division zero-safe (an
empty denominator gives "no data", never an error) and lets each line show its inputs.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from merit.engine import expr
from merit.engine.tables import TABLES


class Text(BaseModel):
    """A label in both UI languages (Chinese first)."""

    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str


class MetricDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text
    table: str | None = None
    kind: Literal["count", "sum", "mean", "ratio", "team_relative"]
    value: str | None = None  # expression over the table's columns (sum, mean, ratio of sums)
    where: str | None = None  # rows counted (count/sum/mean) or the numerator's rows (ratio)
    of: str | None = None  # ratio: the denominator's rows (default: all rows of the period)
    per: str | None = None  # ratio of sums: the denominator's value (default: count of rows)
    of_metric: str | None = None  # team_relative: own value / mean of the team's values
    divide_by: Decimal = Decimal(1)  # unit conversion, e.g. 3600 for seconds → hours
    offset: int = Field(0, le=0)  # 0 = the period assessed, -1 = the month before
    unit: Literal["count", "ratio", "s", "h", "days", "score", "cny", "times"] = "count"
    better: Literal["higher", "lower", "none"] = "none"
    description: str | None = None

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "team_relative":
            if not self.of_metric:
                raise ValueError("a team_relative metric names the metric it compares (of_metric)")
            return self
        if not self.table:
            raise ValueError("a metric names its source table")
        if self.table not in TABLES:
            raise ValueError(f"unknown table {self.table!r} (tables: {', '.join(TABLES)})")
        if self.kind in ("sum", "mean") and not self.value:
            raise ValueError(f"a {self.kind} metric needs a value expression")
        if self.divide_by <= 0:
            raise ValueError("divide_by must be positive")
        columns = set(TABLES[self.table].column_names)
        if self.per and not self.value:
            raise ValueError("a ratio with a denominator value (per) needs a numerator value")
        for text in (self.value, self.where, self.of, self.per):
            if text is None:
                continue
            node = expr.parse(text)
            unknown = {n for n in expr.names(node) if not n.startswith("param.")} - columns
            if unknown:
                raise ValueError(
                    f"{text!r} names unknown column(s) {', '.join(sorted(unknown))} of table {self.table}"
                )
        return self

    def parts(self) -> dict[str, tuple[str, str | None, str | None]]:
        """The aggregates this metric needs: part name → (agg, value expression, filter expression).

        agg is ``count`` (rows where filter) or ``sum`` (sum of value where filter)."""

        def both(a, b):
            if a and b:
                return f"({a}) and ({b})"
            return a or b

        match self.kind:
            case "count":
                return {"num": ("count", None, self.where)}
            case "sum":
                return {"num": ("sum", self.value, self.where)}
            case "mean":
                present = f"not is_null({self.value})"
                return {
                    "num": ("sum", self.value, self.where),
                    "den": ("count", None, both(self.where, present)),
                }
            case "ratio":
                if self.value:
                    return {
                        "num": ("sum", self.value, both(self.of, self.where)),
                        "den": ("sum", self.per or self.value, self.of),
                    }
                return {"num": ("count", None, both(self.of, self.where)), "den": ("count", None, self.of)}
        return {}


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Decimal | str | bool] = {}
    metrics: dict[str, MetricDef]

    @model_validator(mode="after")
    def _refs(self):
        for mid, m in self.metrics.items():
            if m.kind == "team_relative" and m.of_metric not in self.metrics:
                raise ValueError(f"metric {mid}: of_metric {m.of_metric!r} is not in the catalogue")
        return self


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    from merit.engine.policy.yamlio import load_yaml_text

    text = resources.files("merit.engine.metrics").joinpath("catalogue.yaml").read_text("utf-8")
    data = load_yaml_text(text, "catalogue.yaml")
    return Catalogue.model_validate(data)
