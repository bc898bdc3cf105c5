"""The KPIs the dashboards monitor (S10's "indicators to watch"), as metric ids of the engine's catalogue:
labels, units and which way is better come from the catalogue, so a KPI is named and computed the same
way on a dashboard as in a policy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language

from merit.engine.metrics.catalogue import load_catalogue

# In the order of the heat map's columns: reception, sales, satisfaction, after-sales, quality.
MONITORED = (
    "first_response_s",
    "inquiry_conversion",
    "csat",
    "dsr",
    "refund_dispute_rate",
    "complaint_rate",
    "sla_met_rate",
    "qa_score",
)


@dataclass(frozen=True)
class Kpi:
    id: str
    label_zh: str
    label_en: str
    unit: str  # ratio, s, h, score, count …
    better: str  # higher, lower, none
    kind: str  # count, sum, mean, ratio
    divide_by: Decimal

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "").startswith("en") else self.label_zh

    def pooled(self, num: Decimal | None, den: Decimal | None, agents: int) -> Decimal | None:
        """The KPI of a group from the sums of its agents' parts: Σ num / Σ den for rates and means, the
        total per agent for counts and sums."""
        if num is None:
            return None
        if self.kind in ("count", "sum"):
            return (num / self.divide_by / agents) if agents else None
        if not den:
            return None
        return num / den / self.divide_by

    def shown(self, value: Decimal | None) -> str:
        """The value as people read it: rates in percent, times and scores with 1–2 places."""
        if value is None:
            return "—"
        if self.unit == "ratio":
            return f"{value * 100:.1f}%"
        if self.unit in ("s", "h", "days"):
            return f"{value:.1f}"
        return f"{value:.2f}"

    def chart_value(self, value: Decimal | None) -> float | None:
        """The value for a chart (a drawing, not a figure anyone adds up: a float is fine here)."""
        if value is None:
            return None
        return float(round(value * 100 if self.unit == "ratio" else value, 2))


def monitored() -> list[Kpi]:
    catalogue = load_catalogue().metrics
    out = []
    for mid in MONITORED:
        d = catalogue[mid]
        out.append(Kpi(mid, d.label.zh, d.label.en, d.unit, d.better, d.kind, d.divide_by))
    return out


def kpi(metric_id: str) -> Kpi:
    return next(k for k in monitored() if k.id == metric_id)
