"""Engine benchmark: full assessments against the floor of a bare DuckDB aggregation, same machine, same run.

    make bench                       # 10,000 agents × 1 month (~20 million events, Parquet)
    .venv/bin/python benchmarks/bench_engine.py --agents 2000

Every measurement runs in a fresh Python process (so one does not warm the next one's caches or
memory), timed inside that process around the work only (imports excluded), with the peak resident
memory of the process. The floor is `benchmarks/floor.py`: one plain GROUP BY agent per event table.
The assessment is everything a user waits for after start-up: reading and validating the package,
all metrics, scoring, points, grades, bonus, explanations, and writing results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
kind, data = sys.argv[1], Path(sys.argv[2])
if kind == "range":
    from merit.engine.api import assess_package
    from merit.engine.package import load_package
    from merit.engine.policy.load import load_policy
    from merit.engine.results import write_atomic
    from merit.engine.state import state_from_results
    from merit.engine.metrics.compute import Period
    import json as _json
    policy = load_policy(sys.argv[3])
    months = sys.argv[4].split(",")
    prev = sys.argv[6] if len(sys.argv) > 6 else ""
    t0 = time.perf_counter()
    package = load_package(data)
    state = None
    if prev:
        state = state_from_results(_json.loads(Path(prev).read_text()), policy.sha256, Period.parse(months[0]))
    doc, blob = assess_package(package, policy, months, state)
    write_atomic(Path(sys.argv[5]) / "results.json", blob)
    seconds = time.perf_counter() - t0
elif kind == "floor":
    sys.path.insert(0, {bench!r})
    from floor import floor_aggregation
    import duckdb  # noqa: F401  (import outside the timing)
    seconds = floor_aggregation(data)
else:
    from merit.engine.api import assess_package
    from merit.engine.package import load_package
    from merit.engine.policy.load import load_policy
    from merit.engine.results import write_atomic
    policy = load_policy(sys.argv[3])
    t0 = time.perf_counter()
    package = load_package(data)
    doc, blob = assess_package(package, policy, [sys.argv[4]])
    write_atomic(Path(sys.argv[5]) / "results.json", blob)
    seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": seconds, "peak_bytes": peak}}))
"""


def measure(kind: str, data: Path, *args: str) -> dict:
    code = CHILD.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    out = subprocess.run(
        [sys.executable, "-c", code, kind, str(data), *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_data(data: Path, agents: int, months: int, seed: int) -> float | None:
    marker = data / ".complete"
    data.mkdir(parents=True, exist_ok=True)
    want = f"{agents} {months} {seed}"
    if marker.exists() and marker.read_text() == want:
        return None
    from merit.engine.synth import synth

    t0 = time.perf_counter()
    synth(data, agents=agents, months=months, seed=seed, fmt="parquet", start="2026-01")
    marker.write_text(want)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="var/bench")
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept")
    ap.add_argument("--policies", default="S5,S1")
    ap.add_argument(
        "--range-agents", type=int, default=2000, help="agents of the 12-month range run (0: skip)"
    )
    ap.add_argument("--range-policies", default="S2,S3,S4")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    base = Path(args.dir)
    data = base / f"data-{args.agents}"
    made = ensure_data(data, args.agents, 1, 7)
    events = _events(data)
    print(f"package: {args.agents:,} agents × 1 month, {events:,} event rows, Parquet ({_size(data)})")
    if made is not None:
        print(f"synth: {made:.1f} s")
    floor = min((measure("floor", data) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    print(f"floor   (bare DuckDB GROUP BY agent per table): {floor['seconds']:.2f} s, peak {_gib(floor)}")
    for pid in args.policies.split(","):
        runs = [measure("assess", data, pid, "2026-01", str(base / f"out-{pid}")) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        ratio = best["seconds"] / floor["seconds"]
        print(
            f"{pid:<7} full assessment: {best['seconds']:.2f} s = {ratio:.2f}× floor "
            f"(target ≤ 1.5×), peak {_gib(best)} (target < 4 GiB)"
        )
    if args.range_agents:
        bench_range(base, args.range_agents, args.range_policies.split(","))
    return 0


def bench_range(base: Path, agents: int, policies: list[str]) -> None:
    """A 12-month range against the same 12 months run one by one (each a fresh run passing state)."""
    data = base / f"data-{agents}x12"
    made = ensure_data(data, agents, 12, 7)
    print(
        f"package: {agents:,} agents × 12 months, {_events(data):,} event rows ({_size(data)})"
        + (f", synth {made:.1f} s" if made else "")
    )
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    for pid in policies:
        whole = measure("range", data, pid, ",".join(months), str(base / f"range-{pid}"))
        total, prev = 0.0, ""
        for m in months:
            out = base / f"month-{pid}-{m}"
            r = measure("range", data, pid, m, str(out), *([prev] if prev else []))
            total += r["seconds"]
            prev = str(out / "results.json")
        print(
            f"{pid:<7} 12-month range: {whole['seconds']:.2f} s; 12 single months: {total:.2f} s "
            f"(12 × {total / 12:.2f} s); ratio {whole['seconds'] / total:.2f} (target ≤ 1.2), "
            f"peak {_gib(whole)}"
        )


def _events(data: Path) -> int:
    import pyarrow.parquet as pq

    tables = ("tickets", "chats", "ratings", "refunds", "qa_reviews", "attendance", "incidents", "exams")
    return sum(pq.ParquetFile(data / f"{t}.parquet").metadata.num_rows for t in tables)


def _size(data: Path) -> str:
    return f"{sum(f.stat().st_size for f in data.iterdir()) / 2**20:.0f} MiB"


def _gib(r: dict) -> str:
    return f"{r['peak_bytes'] / 2**30:.2f} GiB"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
