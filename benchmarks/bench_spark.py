"""Spark local[2] against DuckDB for the same assessment, and DuckDB's scaling in events per month.

    make bench                                   # part of the benchmarks
    .venv/bin/python benchmarks/bench_spark.py --agents 2000 --series 1,2,5,10

1. The 2,000-agent month (Parquet, `merit synth` seed 7): the full assessment (read and validate the
   package, every metric, scoring, explanations, results.json) on DuckDB and on Spark local[2], each in
   a fresh process, measured in the same run; the ratio Spark / DuckDB; and whether both wrote the same
   output_sha256. Spark's session start (JVM) is shown apart: a cluster job pays it once.
2. A scaling series on DuckDB: packages of about 1, 2, 5 and 10 million events in one month (agents
   scaled, ~2,000 events per agent), the full S1 assessment, and the time per million events.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import _events, ensure_data, measure  # noqa: E402

SPARK_CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from merit.engine.api import assess_package
from merit.engine.backends.spark import session
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.results import write_atomic
data, pid, month, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
policy = load_policy(pid)
t0 = time.perf_counter()
spark = session("local[2]")
started = time.perf_counter() - t0
t0 = time.perf_counter()
package = load_package(data)
doc, blob = assess_package(package, policy, [month], engine="spark")
write_atomic(out / "results.json", blob)
seconds = time.perf_counter() - t0
spark.stop()
print(json.dumps({{"seconds": seconds, "session_seconds": started, "sha": doc["output_sha256"]}}))
"""


def measure_spark(data: Path, pid: str, month: str, out: Path) -> dict:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    code = SPARK_CHILD.format(root=str(ROOT))
    got = subprocess.run(
        [sys.executable, "-c", code, str(data), pid, month, str(out)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(got.stdout.strip().splitlines()[-1])


def _sha(out: Path) -> str:
    return json.loads((out / "results.json").read_text("utf-8"))["output_sha256"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="var/bench")
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument("--policies", default="S5,S1")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best is kept")
    ap.add_argument("--series", default="1,2,5,10", help="millions of events per month (DuckDB); '' skips")
    args = ap.parse_args(argv)
    base = Path(args.dir)
    data = base / f"data-{args.agents}"
    ensure_data(data, args.agents, 1, 7)
    events = _events(data)
    print(f"package: {args.agents:,} agents × 1 month, {events:,} event rows, Parquet")
    for pid in args.policies.split(","):
        duck_out, spark_out = base / f"duck-{pid}", base / f"spark-{pid}"
        duck = min(
            (measure("assess", data, pid, "2026-01", str(duck_out)) for _ in range(args.repeat)),
            key=lambda r: r["seconds"],
        )
        spark = min(
            (measure_spark(data, pid, "2026-01", spark_out) for _ in range(args.repeat)),
            key=lambda r: r["seconds"],
        )
        same = "same output_sha256" if spark["sha"] == _sha(duck_out) else "OUTPUT DIFFERS"
        print(
            f"{pid:<4} DuckDB {duck['seconds']:6.2f} s | Spark local[2] {spark['seconds']:6.2f} s "
            f"(+ session start {spark['session_seconds']:.1f} s) = {spark['seconds'] / duck['seconds']:.1f}× "
            f"DuckDB; {same}"
        )
    if args.series:
        series(base, [float(x) for x in args.series.split(",")], args.repeat)
    return 0


def series(base: Path, millions: list[float], repeat: int) -> None:
    """DuckDB: time per million events of the S1 month as the month grows."""
    per_agent = 2000  # events per agent and month of the synthetic shop (measured below, not assumed)
    print("DuckDB scaling, S1 full assessment of one month:")
    for m in millions:
        agents = max(1, round(m * 1_000_000 / per_agent))
        data = base / f"data-{agents}"
        ensure_data(data, agents, 1, 7)
        events = _events(data)
        best = min(
            (measure("assess", data, "S1", "2026-01", str(base / f"series-{agents}")) for _ in range(repeat)),
            key=lambda r: r["seconds"],
        )
        ms = best["seconds"] * 1000 / (events / 1e6)
        print(
            f"  {events / 1e6:5.1f} M events ({agents:,} agents): {best['seconds']:6.2f} s = "
            f"{ms:6.0f} ms per M events, peak {best['peak_bytes'] / 2**30:.2f} GiB"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
