"""The `merit` command: assess, synth, policy (list | show | validate | schema).

Exit codes: 0 done; 2 bad input (every problem listed, nothing written); 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from merit.engine.backends import DEFAULT_ENGINE, ENGINES

EXIT_BAD_INPUT = 2

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _params(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        if "=" not in v:
            raise SystemExit(f"--param takes NAME=VALUE, got {v!r}")
        k, val = v.split("=", 1)
        out[k.strip()] = val.strip()
    return out


def cmd_assess(args) -> int:
    from merit.engine.api import assess_package, parse_periods
    from merit.engine.package import PackageError, load_package
    from merit.engine.package.profiles import ProfileError
    from merit.engine.policy.load import PolicyError, load_policy
    from merit.engine.results import write_atomic

    if args.engine not in ENGINES:  # a bad MERIT_ENGINE (argparse checks only what is typed)
        err.print(f"[bold red]bad engine {args.engine!r}:[/] use one of {', '.join(ENGINES)}")
        return EXIT_BAD_INPUT
    try:
        periods = parse_periods(args.period)
    except ValueError as e:
        err.print(f"[bold red]bad --period:[/] {e}")
        return EXIT_BAD_INPUT
    try:
        lp = load_policy(args.policy, _params(args.param))
    except PolicyError as e:
        _print_policy_problems(e)
        return EXIT_BAD_INPUT
    state = None
    if args.state:
        from merit.engine.metrics.compute import Period
        from merit.engine.state import StateError, state_from_results

        try:
            prev = json.loads(Path(args.state).read_text("utf-8"))
            state = state_from_results(prev, lp.sha256, Period.parse(periods[0]))
        except (OSError, ValueError, StateError) as e:
            err.print(f"[bold red]bad --state {args.state}:[/] {e}")
            return EXIT_BAD_INPUT
    from merit.engine.backends.spark import SparkUnavailable

    try:
        if args.tables:
            doc, data = _assess_tables(args, lp, periods, state)
        else:
            package = load_package(args.data, profile=args.profile)
            if not args.allow_empty and _refuse_empty(package, periods, args.data):
                return EXIT_BAD_INPUT
            doc, data = assess_package(package, lp, periods, state, engine=args.engine)
    except PackageError as e:
        _print_package_problems(e)
        return EXIT_BAD_INPUT
    except ProfileError as e:
        err.print(f"[bold red]bad --profile:[/] {e}")
        return EXIT_BAD_INPUT
    except (SparkUnavailable, FileNotFoundError) as e:
        err.print(f"[bold red]engine {args.engine}:[/] {e}")
        return EXIT_BAD_INPUT
    for n in doc.get("notices", []):
        err.print(f"[yellow]notice:[/] {n}")
    from merit.engine.lookback import history_lines

    for line in history_lines(doc):
        err.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
    if not args.quiet:
        for period in doc["periods"]:
            print_summary(doc, period, limit=args.limit)
    if args.out:
        out = Path(args.out)
        write_atomic(out / "results.json", data)
        if args.csv:
            from merit.engine.export import write_csv

            write_csv(doc, out / "results.csv")
        if args.xlsx:
            from merit.engine.export import write_xlsx

            write_xlsx(doc, out / "results.xlsx")
        console.print(f"written: {out / 'results.json'}")
    console.print(f"input_sha256  {doc['input_sha256']}\noutput_sha256 {doc['output_sha256']}")
    return 0


def _refuse_empty(package, periods: list[str], where) -> bool:
    """Print an error for each period without a single fact row; True if there is one."""
    from merit.engine.coverage import coverage, empty_message

    empty = [c for c in coverage(package.con, periods) if c.empty]
    for c in empty:
        err.print(f"[bold red]empty period:[/] {empty_message(c, where)}")
    if empty:
        err.print("assess it anyway with --allow-empty (every agent is then scored on no data)")
    return bool(empty)


def _assess_tables(args, lp, periods, state):
    """Warehouse tables on Spark (docs/scale-out.md): read as they are typed, not validated here."""
    from merit.engine.api import assess_on
    from merit.engine.backends import spark

    if args.engine != "spark":
        raise FileNotFoundError("--tables reads warehouse tables: it needs --engine spark")
    backend = spark.from_tables(args.tables)
    try:
        return assess_on(backend, backend.input_sha256, [], lp, periods, state)
    finally:
        backend.close()


def print_summary(doc: dict, period: dict, limit: int = 40) -> None:
    pol = doc["policy"]
    agents = period["agents"]
    table = Table(
        title=f"{pol['title']['zh']} / {pol['title']['en']} · {period['period']} · {len(agents)} 客服 agents",
        title_justify="left",
    )
    has = {
        k: any(a.get(k) is not None for a in agents)
        for k in ("score", "grade", "bonus", "points", "money", "fee")
    }
    has["level"] = any(a.get("level", {}).get("from") for a in agents)
    table.add_column("客服\nagent_id")
    table.add_column("团队\nteam_id")
    if has["score"]:
        table.add_column("得分\nscore", justify="right")
    if has["grade"]:
        table.add_column("等级\ngrade", justify="center")
        table.add_column("系数\ncoefficient", justify="right")
    if has["points"]:
        table.add_column("积分\npoints", justify="right")
    if has["level"]:
        table.add_column("级别\nlevel (next)")
    if has["money"]:
        table.add_column("罚款\nfines ¥", justify="right")
        table.add_column("奖励\nrewards ¥", justify="right")
    if has["fee"]:
        table.add_column("劳务费\nfee ¥", justify="right")
    if has["bonus"]:
        table.add_column("奖金\nbonus ¥", justify="right")
    table.add_column("标记\nflags")
    for a in agents[:limit]:
        row = [a["agent_id"], a["team_id"]]
        if has["score"]:
            row.append(a["score"] or "–")
        if has["grade"]:
            pct = a.get("grade_percent")
            row += [a["grade"] or "–", a["coefficient"] or (pct and pct + "%") or "–"]
        if has["points"]:
            row.append(a["points"]["closing"] if a.get("points") else "–")
        if has["level"]:
            lv = a.get("level") or {}
            row.append(
                lv.get("from") if lv.get("from") == lv.get("to") else f"{lv.get('from')} → {lv.get('to')}"
            )
        if has["money"]:
            m = a.get("money") or {}
            row += [m.get("fines") or "–", m.get("rewards") or "–"]
        if has["fee"]:
            row.append((a.get("fee") or {}).get("amount") or "–")
        if has["bonus"]:
            row.append(a["bonus"] or "–")
        flags = sorted({f["flag"] for f in a["flags"]})
        if a.get("status") == "suspended":
            flags.insert(0, "停止服务 suspended")
        row.append(", ".join(flags))
        table.add_row(*row)
    console.print(table)
    if len(agents) > limit:
        console.print(f"… {len(agents) - limit} more agents in results.json (--limit to show more)")


def _print_policy_problems(e) -> None:
    err.print(f"[bold red]policy {e.source} is not valid[/] ({len(e.problems)} problem(s)):")
    for p in e.problems:
        err.print(f"  {p}")


def _print_package_problems(e) -> None:
    table = Table(
        title=f"data package has {len(e.problems)} problem(s); nothing was written", title_justify="left"
    )
    for c in ("表 table", "行 row", "列 column", "值 value", "原因 reason"):
        table.add_column(c)
    for p in e.problems:
        table.add_row(p.table, "" if p.row is None else str(p.row), p.column or "", _short(p.value), p.reason)
    err.print(table)


def _short(v) -> str:
    if v is None:
        return ""
    v = str(v)
    return v if len(v) <= 40 else v[:37] + "…"


def cmd_synth(args) -> int:
    from merit.engine.synth import synth

    counts = synth(
        Path(args.out),
        agents=args.agents,
        months=args.months,
        seed=args.seed,
        fmt=args.format,
        start=args.start,
    )
    table = Table(title=f"synthetic package in {args.out}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for k, v in counts.items():
        table.add_row(k, f"{v:,}")
    table.add_row("total", f"{sum(counts.values()):,}")
    console.print(table)
    return 0


def cmd_policy(args) -> int:
    from merit.engine.policy.load import PolicyError, load_policy, preset_files
    from merit.engine.policy.yamlio import load_yaml_text

    if args.action == "list":
        console.print("预设考核方案 / preset policies")
        for fname, text in preset_files().items():
            d = load_yaml_text(text, fname)
            console.print(
                f"  {d['id']:<6} {d['name']:<30} {d['title']['zh']} / {d['title']['en']}", soft_wrap=True
            )
        return 0
    if args.action == "schema":
        from merit.engine.policy.schema import Policy

        print(json.dumps(Policy.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    if not args.name:
        err.print(f"merit policy {args.action} needs a policy name or file")
        return EXIT_BAD_INPUT
    try:
        lp = load_policy(args.name)
    except PolicyError as e:
        _print_policy_problems(e)
        return EXIT_BAD_INPUT
    if args.action == "show":
        print(lp.text)
    else:
        p = lp.policy
        console.print(
            f"valid: {p.id} · {p.name} v{p.version} · {p.title.zh} / {p.title.en}  sha256 {lp.sha256}"
        )
    return 0


def cmd_explain(args) -> int:
    from merit.engine.explain import explain_lines

    try:
        doc = json.loads(Path(args.results).read_text("utf-8"))
        lines = explain_lines(doc, args.agent, args.period)
    except (OSError, ValueError, KeyError) as e:
        err.print(f"[bold red]cannot explain:[/] {e}")
        return EXIT_BAD_INPUT
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="merit", description="客服/售后 奖惩与绩效考核 — customer-service appraisal"
    )
    sub = ap.add_subparsers(dest="command", required=True)

    a = sub.add_parser("assess", help="assess a data package with a policy (no server needed)")
    source = a.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="package folder (CSV/Parquet) or XLSX workbook")
    source.add_argument(
        "--tables",
        metavar="SOURCE",
        help="with --engine spark: warehouse tables, hive:DB or a folder of Parquet tables (docs/scale-out.md)",
    )
    a.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("MERIT_ENGINE", DEFAULT_ENGINE),
        help="where metrics are computed: duckdb (in-process, default) or spark (MERIT_SPARK_MASTER, "
        "default local[2], or MERIT_SPARK_REMOTE=sc://host:15002); default from MERIT_ENGINE",
    )
    a.add_argument("--policy", required=True, help="preset id (S5), preset name, or a policy YAML file")
    a.add_argument("--period", required=True, help="YYYY-MM or YYYY-MM..YYYY-MM")
    a.add_argument("--out", help="folder for results.json (nothing is written on bad input)")
    a.add_argument("--param", action="append", metavar="NAME=VALUE", help="override a policy parameter")
    a.add_argument(
        "--profile", help="column-mapping profile of a platform export (name or YAML file; docs/imports.md)"
    )
    a.add_argument(
        "--state",
        metavar="RESULTS_JSON",
        help="start from the closing state of a previous results.json (the month before --period)",
    )
    a.add_argument("--csv", action="store_true", help="also write results.csv (one row per agent)")
    a.add_argument("--xlsx", action="store_true", help="also write results.xlsx")
    a.add_argument("--limit", type=int, default=40, help="agents shown in the summary table")
    a.add_argument("--quiet", action="store_true", help="no summary table")
    a.add_argument(
        "--allow-empty",
        action="store_true",
        help="assess a month that has no facts at all (refused by default: exit 2)",
    )
    a.set_defaults(func=cmd_assess)

    s = sub.add_parser("synth", help="write a seeded synthetic data package")
    s.add_argument("--out", required=True)
    s.add_argument("--agents", type=int, required=True)
    s.add_argument("--months", type=int, default=1)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--start", default="2026-01", help="first month (YYYY-MM)")
    s.add_argument("--format", choices=("csv", "parquet"), default="csv")
    s.add_argument("--scale", type=float, default=1.0, help="multiply event volumes (0.1 = a tenth)")
    s.set_defaults(func=cmd_synth)

    e = sub.add_parser("explain", help="one agent's month from a results.json, every number with its reasons")
    e.add_argument("results", help="a results.json written by merit assess")
    e.add_argument("--agent", required=True)
    e.add_argument("--period", help="YYYY-MM (default: the last period of the results)")
    e.set_defaults(func=cmd_explain)

    m = sub.add_parser("metrics", help="the metric catalogue (Markdown)")
    m.set_defaults(
        func=lambda args: (
            print(__import__("merit.engine.metrics.docs", fromlist=["x"]).render_markdown(), end="") or 0
        )
    )

    p = sub.add_parser("policy", help="list, show or validate policies")
    p.add_argument("action", choices=("list", "show", "validate", "schema"))
    p.add_argument("name", nargs="?")
    p.set_defaults(func=cmd_policy)

    from merit.appcli import register  # import, serve, demo: the application's commands

    register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
