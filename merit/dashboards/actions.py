"""The dashboards' one write: :func:`refresh`, run by the periodic job (merit.dashboards.tasks), by
``manage.py dashboards_refresh`` and by the demo. It reads the facts of the months asked (by default the
last :data:`MONTHS` months, the current one included), computes the monitored KPIs of every agent with the
engine's metric layer (one grouped query per table and month) and stores them; it then assesses the
current month so far with each policy in use and stores the provisional results. A month whose facts did
not change since its last refresh is not written again."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from merit.audit.log import record
from merit.dashboards.kpis import MONITORED
from merit.dashboards.models import KpiValue, ProvisionalResult, Refresh
from merit.engine.metrics.compute import Period

log = logging.getLogger(__name__)

MONTHS = 6  # the months the dashboards draw: the current one and five before it


def recent_months(today: date | None = None, n: int = MONTHS) -> list[str]:
    today = today or timezone.localdate()
    current = Period(today.year, today.month)
    return [str(current.shift(-i)) for i in range(n - 1, -1, -1)]


def refresh(periods: list[str] | None = None, *, today: date | None = None, provisional: bool = True) -> dict:
    """Recompute the KPIs of ``periods`` (default :func:`recent_months`) and, with ``provisional``, this
    month's provisional results; returns what was done ``{"kpis": {period: rows or "unchanged"},
    "provisional": {policy: rows}}``."""
    today = today or timezone.localdate()
    periods = periods or recent_months(today)
    done: dict = {"kpis": {}, "provisional": {}}
    for p in periods:
        done["kpis"][p] = _refresh_kpis(p)
    if provisional:
        done["provisional"] = _refresh_provisional(str(Period(today.year, today.month)))
    return done


def _refresh_kpis(period: str):
    from merit.engine.backends import connect
    from merit.engine.metrics.catalogue import load_catalogue
    from merit.engine.metrics.compute import compute_metrics, fetch_rows
    from merit.facts.io import read_package

    catalogue = load_catalogue()
    tables = sorted({catalogue.metrics[m].table for m in MONITORED})
    package = read_package([period], tables=tables, history_months=0)
    try:
        fingerprint = package.input_sha256
        last = Refresh.objects.filter(period=period).first()
        if last is not None and last.input_sha256 == fingerprint:
            return "unchanged"
        backend = connect(package, settings.MERIT_ENGINE)
        agents = fetch_rows(backend, "agents", None, ["agent_id", "team_id"], order=["agent_id"])
        agent_team = {a["agent_id"]: a["team_id"] for a in agents}
        values, _how = compute_metrics(
            backend,
            set(MONITORED),
            catalogue.metrics,
            Period.parse(period),
            dict(catalogue.defaults),
            agent_team,
        )
    finally:
        package.con.close()
    rows = [
        KpiValue(period=period, agent_id=agent, metric=mid, value=_q(v.value), num=_q(v.num), den=_q(v.den))
        for agent, by_metric in values.items()
        for mid, v in by_metric.items()
        if mid in MONITORED and (v.den or v.num)  # no events at all: nothing to show, nothing stored
    ]
    with transaction.atomic():
        KpiValue.objects.filter(period=period).delete()
        KpiValue.objects.bulk_create(rows, batch_size=2000)
        Refresh.objects.update_or_create(
            period=period,
            defaults={"input_sha256": fingerprint, "agents": len(agent_team), "computed_at": timezone.now()},
        )
        record(
            None,
            "dashboards.refresh",
            None,
            detail={"period": period, "table": "kpi_values", "rows": len(rows)},
        )
    return len(rows)


def _dec(v):
    from decimal import Decimal

    return None if v is None else Decimal(str(v))


def _q(v):
    """Six places, as the column holds (the engine's values are exact decimals of any length)."""
    from decimal import Decimal

    if v is None:
        return None
    return Decimal(v).quantize(Decimal("0.000001"))


def policies_in_use() -> list[str]:
    """The policies with a current publication: the systems this shop runs."""
    from merit.assessment.models import Run, RunState

    return sorted(
        set(
            Run.objects.filter(state=RunState.PUBLISHED)
            .exclude(corrections__state=RunState.PUBLISHED)
            .values_list("policy_version__policy_id", flat=True)
        )
    )


def _refresh_provisional(period: str) -> dict:
    from merit.assessment.actions import carried_state, loaded_policy, read_facts, state_source
    from merit.engine.api import assess_package
    from merit.policies.actions import resolve
    from merit.policies.models import PolicyVersion

    done = {}
    for policy_id in policies_in_use():
        try:
            version = resolve(policy_id, period)
        except PolicyVersion.DoesNotExist:
            continue
        policy = loaded_policy(version)
        source = state_source(policy_id, period)
        state = carried_state(source, period) if source is not None else None
        package = read_facts(policy, [period], rebuild_state=state is None)
        try:
            doc, _data = assess_package(package, policy, [period], state, engine=settings.MERIT_ENGINE)
        except Exception as e:  # a month the policy cannot assess yet: say so, keep the others
            log.warning("provisional %s %s not computed: %s", policy_id, period, e)
            done[policy_id] = f"not computed: {e}"
            continue
        finally:
            package.con.close()
        now = timezone.now()
        rows = [
            ProvisionalResult(
                period=period,
                policy_version=version,
                agent_id=a["agent_id"],
                score=_dec(a.get("score")),
                grade=str(a.get("grade") or "")[:16],
                bonus=_dec(a.get("bonus")),
                doc=a,
                computed_at=now,
            )
            for month in doc["periods"]
            for a in month["agents"]
        ]
        with transaction.atomic():
            ProvisionalResult.objects.filter(period=period, policy_version__policy_id=policy_id).delete()
            ProvisionalResult.objects.bulk_create(rows, batch_size=1000)
            record(
                None,
                "dashboards.provisional",
                None,
                detail={"period": period, "policy": f"{policy_id} v{version.version}", "rows": len(rows)},
            )
        done[policy_id] = len(rows)
    return done
