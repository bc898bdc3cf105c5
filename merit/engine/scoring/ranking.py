"""Rankings over the assessed agents (month-end ranking, first/last place, forced distribution).

Rule (docs/policy-language.md#rankings): each key ranks agents with competition ranking (1, 1, 3);
agents without a value rank after all others, and an agent with no value for any key is not ranked. A composite rank is the sum of the key ranks (lower is
better). Ties are then broken by the tie-break keys in order, and finally by agent id, so every place
is unique and the result never depends on input order.
"""

from __future__ import annotations

from decimal import Decimal

from merit.engine.policy.schema import RankKey


def _key_ranks(agents: list[str], values: dict[str, Decimal | None], order: str) -> dict[str, int]:
    present = [a for a in agents if values.get(a) is not None]
    present.sort(key=lambda a: values[a], reverse=(order == "desc"))
    ranks: dict[str, int] = {}
    prev, prev_rank = None, 0
    for i, a in enumerate(present, start=1):
        v = values[a]
        rank = prev_rank if (prev is not None and v == prev) else i
        ranks[a] = rank
        prev, prev_rank = v, rank
    for a in agents:
        if a not in ranks:
            ranks[a] = len(agents) + 1
    return ranks


def rank(
    agents: list[str],
    metric_of: dict[str, dict[str, Decimal | None]],
    by: list[RankKey],
    tie_break: list[RankKey],
) -> tuple[dict[str, int], dict[str, dict]]:
    """→ ({agent: place 1..n}, {agent: the ranks and composite behind the place}).

    An agent with no value for any key (no data at all) is not ranked."""
    agents = [a for a in agents if any(metric_of[a].get(k.metric) is not None for k in by)]
    per_key = {
        k.metric: _key_ranks(agents, {a: metric_of[a].get(k.metric) for a in agents}, k.order) for k in by
    }
    composite = {a: sum(per_key[k.metric][a] for k in by) for a in agents}

    def sort_key(a):
        parts: list = [composite[a]]
        for k in tie_break:
            v = metric_of[a].get(k.metric)
            # missing values last; desc means bigger first
            parts.append((v is None, -v if (v is not None and k.order == "desc") else v))
        parts.append(a)
        return parts

    ordered = sorted(agents, key=sort_key)
    places = {a: i for i, a in enumerate(ordered, start=1)}
    detail = {
        a: {"ranks": {m: r[a] for m, r in per_key.items()}, "composite": composite[a], "place": places[a]}
        for a in agents
    }
    return places, detail
