"""Seeded synthetic data packages (``merit synth``): realistic, vectorized, byte-for-byte reproducible.

``synth(out, agents=N, months=M, seed=S)`` writes one file per table of :data:`tables.TABLES` into ``out``
and returns the row count of each table. The same arguments always give byte-identical files (numpy's
``Generator`` only, seeded per table and month, so a change in one table never shifts another).

Scale: 10,000 agents x 1 month is about 20 million events (chats ~1500, tickets ~300, ratings ~140,
refunds ~40 per agent and month, plus attendance, QA, incidents, exams and the monthly tables). Every
draw is vectorized (one pass per table and month); big tables are converted and written in chunks of
``ROW_GROUP`` rows, so memory stays bounded and each chunk is one Parquet row group.

The modules:

* ``params``: volumes, shares and distributions, and the seeded random streams;
* ``columns``: a generated column (:class:`V`), its conversion to Arrow and the file it is written to;
  the time and decimal conventions of the files are described there (read them before loading a package);
* ``roster``: agents and teams, fixed for the whole run;
* ``events``: one month: attendance and the event and monthly tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from merit.engine import tables as T
from merit.engine.synth.columns import _Sink
from merit.engine.synth.events import (
    Month,
    _attendance,
    _benchmarks,
    _chats,
    _exams,
    _incidents,
    _manual,
    _month,
    _qa,
    _ratings,
    _redemptions,
    _refunds,
    _sales,
    _tickets,
)
from merit.engine.synth.params import _rng
from merit.engine.synth.roster import _agents_table, _roster, _teams_table


def synth(
    out: Path,
    *,
    agents: int,
    months: int,
    seed: int,
    fmt: str = "csv",
    start: str = "2026-01",
    scale: float = 1.0,
) -> dict[str, int]:
    """Write a synthetic data package into ``out`` and return the number of rows of each table.

    ``fmt`` is ``csv`` or ``parquet``; ``start`` is the first period (YYYY-MM); ``scale`` multiplies the
    volumes of chats, tickets, ratings and refunds (e.g. 0.1 for a small sample package).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if agents < 1 or months < 1 or scale < 0:
        raise ValueError("agents and months must be >= 1 and scale >= 0")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start_m = np.datetime64(start, "M")
    _, first_day, _ = _month(start_m, 0)
    roster = _roster(agents, seed, first_day)
    sinks = {name: _Sink(out, table, fmt) for name, table in T.TABLES.items()}
    try:
        sinks["agents"].write(_agents_table(roster))
        sinks["teams"].write(_teams_table(roster))
        for mi in range(months):
            period, first, n_days = _month(start_m, mi)
            att, worked = _attendance(roster, seed, mi, first, n_days)
            n_worked = worked.sum(axis=1)
            month = Month(
                period=period,
                first_day=first,
                n_days=n_days,
                n_worked=n_worked,
                worked_days=np.argsort(~worked, axis=1, kind="stable"),
                drift=_rng(seed, "drift", mi).lognormal(0.0, 0.1, agents),
            )
            sinks["attendance"].write(att)
            for name, make in (("tickets", _tickets), ("ratings", _ratings), ("refunds", _refunds)):
                sinks[name].write(make(_rng(seed, name, mi), roster, month, scale, sinks[name].rows))
            chats, order_cents, customers = _chats(
                _rng(seed, "chats", mi), roster, month, scale, sinks["chats"].rows
            )
            sinks["chats"].write(chats)
            del chats
            sinks["qa_reviews"].write(
                _qa(_rng(seed, "qa_reviews", mi), roster, month, sinks["qa_reviews"].rows)
            )
            sinks["incidents"].write(
                _incidents(_rng(seed, "incidents", mi), roster, month, sinks["incidents"].rows)
            )
            sinks["exams"].write(_exams(_rng(seed, "exams", mi), roster, month))
            sinks["redemptions"].write(
                _redemptions(_rng(seed, "redemptions", mi), roster, month, sinks["redemptions"].rows)
            )
            sinks["sales"].write(_sales(_rng(seed, "sales", mi), roster, month, order_cents, customers))
            sinks["manual_scores"].write(_manual(_rng(seed, "manual_scores", mi), roster, month))
            sinks["benchmarks"].write(_benchmarks(_rng(seed, "benchmarks", mi), month))
    finally:
        for sink in sinks.values():
            sink.close()
    return {name: sink.rows for name, sink in sinks.items()}
