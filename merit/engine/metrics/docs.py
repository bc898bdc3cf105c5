"""The metric catalogue as Markdown (docs/metrics.md is this text; `merit metrics` prints it)."""

from __future__ import annotations

from merit.engine.metrics.catalogue import load_catalogue

INTRO = """\
# Metric catalogue (指标库)

Every KPI is data in `merit/engine/metrics/catalogue.yaml`: a source table, an aggregate over the rows of
one month (Asia/Shanghai), a filter, a unit and the better direction. A policy may add its own metrics
under `metrics:` with the same fields. This page is generated: `merit metrics > docs/metrics.md`.

- `count`: rows matching `where`. `sum`: sum of `value` over rows matching `where`.
- `mean`: sum of `value` / number of rows where `value` is present (and `where` holds).
- `ratio`: rows matching `of` and `where` / rows matching `of`; with `value`, sums instead of counts
  (`per` names the denominator's value, e.g. returns_amount per order_amount).
- `team_relative`: own value / the mean of the team's values (`of_metric`).
- `divide_by` converts units (3600: seconds → hours); `offset: -1` reads the month before.

Every aggregate is reduced to exact integer or decimal parts (counts and sums) computed by the database;
the value is divided in Python decimals. An empty denominator gives *no data* (never an error), and the
same definitions give identical values on DuckDB and Spark. Rates are fractions (0.0125 = 1.25 %).
CSAT counts survey and review ratings of 4 or 5 as satisfied (DSR ratings excluded).

Parameters used by the catalogue, with their defaults (a policy's `parameters` override them):
"""


def render_markdown() -> str:
    c = load_catalogue()
    out = [INTRO]
    out += [f"- `{k}` = {v}" for k, v in c.defaults.items()]
    out += [
        "",
        "| id | 中文 | English | table | kind | definition | unit | better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mid, m in c.metrics.items():
        parts = []
        for name, text in (
            ("value", m.value),
            ("where", m.where),
            ("of", m.of),
            ("per", m.per),
            ("of", m.of_metric),
        ):
            if text:
                parts.append(f"{name} `{text}`")
        if m.divide_by != 1:
            parts.append(f"÷ {m.divide_by}")
        if m.offset:
            parts.append(f"month {m.offset}")
        d = "; ".join(parts).replace("|", "\\|")
        if m.description:
            d += (" — " if d else "") + m.description
        out.append(
            f"| `{mid}` | {m.label.zh} | {m.label.en} | {m.table or '—'} | {m.kind} | {d} | {m.unit} | {m.better} |"
        )
    return "\n".join(out) + "\n"
