"""`merit import PATH`: import a data package into the application's database from the shell.

The same pipeline as an upload in the web app (``submit_import`` then ``run_import``), run at once in
this process instead of by the task worker. ``--dry-run`` checks and previews (what would be new and
what would change, the published runs touched) and applies nothing; ``--confirm ID`` applies such a
preview. Exit codes: 0 imported or previewed (or the same file already was); 2 bad input (every problem
listed, nothing applied); 1 an unexpected failure.
"""

from __future__ import annotations

from pathlib import Path

EXIT_BAD_INPUT = 2
SUFFIXES = (".zip", ".xlsx", ".csv", ".parquet")


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import a data package into the application's database")
    p.add_argument(
        "path", nargs="?", help="a zip of CSVs, an XLSX workbook, a CSV or Parquet file, or a package folder"
    )
    p.add_argument(
        "--profile", default="", help="column-mapping profile of a platform export (see --profiles)"
    )
    p.add_argument("--user", help="import as this user (default: the first superuser)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and show what would be new and what would change; apply nothing",
    )
    p.add_argument(
        "--confirm",
        type=int,
        metavar="ID",
        help="apply the previewed import ID (made with --dry-run or in the web)",
    )
    p.add_argument("--profiles", action="store_true", help="list the column-mapping profiles and exit")
    p.set_defaults(func=cmd_import)


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_dir():
        return [
            (f.name, f)
            for f in sorted(path.iterdir())
            if f.is_file() and not f.name.startswith((".", "~$")) and f.suffix.lower() in SUFFIXES
        ]
    return [(path.name, path)]


def cmd_import(args) -> int:
    from merit.cli import console, err

    if args.profiles:
        return _list_profiles(console, err)
    if args.confirm is not None:
        return _confirm(args)
    if not args.path:
        err.print("[bold red]merit import:[/] give a PATH (a zip, an XLSX, a CSV file or a folder)")
        return EXIT_BAD_INPUT
    path = Path(args.path)
    if not path.exists():
        err.print(f"[bold red]merit import:[/] no such file or folder: {path}")
        return EXIT_BAD_INPUT
    files = _files(path)
    if not files:
        err.print(f"[bold red]merit import:[/] no zip, XLSX, CSV or Parquet file in {path}")
        return EXIT_BAD_INPUT

    from merit.appcli import setup_django

    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from merit.ingest.actions import run_import, submit_import
    from merit.ingest.models import ImportState

    user = _user(args, err)
    if user is None:
        return EXIT_BAD_INPUT
    try:
        imp = submit_import(user, files, args.profile, enqueue=False, preview=args.dry_run)
    except (PermissionDenied, ValidationError) as e:
        text = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
        err.print(f"[bold red]merit import refused:[/] {text}")
        return EXIT_BAD_INPUT
    if imp.state == ImportState.QUEUED:
        imp = run_import(imp.pk)
    return _report(imp)


def _user(args, err):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if args.user:
        user = User.objects.filter(username=args.user).first()
        if user is None:
            err.print(f"[bold red]merit import:[/] no user named {args.user!r}")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        err.print(
            "[bold red]merit import:[/] no superuser to import as: create one "
            "(python manage.py createsuperuser) or pass --user NAME"
        )
    return user


def _confirm(args) -> int:
    from merit.appcli import setup_django
    from merit.cli import err

    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from merit.ingest.actions import confirm_import, run_import
    from merit.ingest.models import Import

    user = _user(args, err)
    if user is None:
        return EXIT_BAD_INPUT
    imp = Import.objects.filter(pk=args.confirm).first()
    if imp is None:
        err.print(f"[bold red]merit import:[/] no import #{args.confirm}")
        return EXIT_BAD_INPUT
    try:
        confirm_import(user, imp, enqueue=False)
    except (PermissionDenied, ValidationError) as e:
        text = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
        err.print(f"[bold red]merit import #{imp.pk} not confirmed:[/] {text}")
        return EXIT_BAD_INPUT
    return _report(run_import(imp.pk))


def _report(imp) -> int:
    from merit.cli import console, err
    from merit.ingest.models import ImportState

    for notice in imp.notices:
        err.print(f"[yellow]notice:[/] {notice}")
    if imp.state == ImportState.DUPLICATE:
        console.print(
            f"import #{imp.pk}: the same file was imported already (import #{imp.duplicate_of_id}); 0 rows added"
        )
        return 0
    if imp.state == ImportState.SUCCEEDED:
        print_summary(imp)
        print_changes(imp)
        return 0
    if imp.state == ImportState.PREVIEWED:
        print_summary(imp, "preview, nothing applied")
        print_changes(imp)
        console.print(
            f"nothing was applied. To apply exactly this: merit import --confirm {imp.pk} "
            f"(or confirm it on the page /imports/{imp.pk}/)"
        )
        return 0
    if imp.problems:
        print_problems(imp)
        return EXIT_BAD_INPUT
    err.print(f"[bold red]import #{imp.pk} failed, nothing applied:[/] {imp.error}")
    return 1


def _list_profiles(console, err) -> int:
    from merit.engine.package.profiles import ProfileError, parse_profile, profile_texts

    status = 0
    for name, text in profile_texts().items():
        try:
            prof = parse_profile(text, f"profile:{name}")
        except ProfileError as e:
            err.print(f"[bold red]{name}: not valid:[/] {e}")
            status = EXIT_BAD_INPUT
            continue
        console.print(f"[bold]{prof.name}[/]  {prof.title}  → {', '.join(prof.tables)}")
    return status


def print_summary(imp, what: str = "imported") -> None:
    from rich.table import Table

    from merit.cli import console

    table = Table(title=f"import #{imp.pk} {imp.source_name}: {what}", title_justify="left")
    for c in ("表 table", "读取 read", "新增 inserted", "更新 updated", "未变 unchanged"):
        table.add_column(c, justify="left" if c.startswith("表") else "right")
    for name, counts in imp.summary.items():
        table.add_row(name, *(str(counts.get(k, 0)) for k in ("read", "inserted", "updated", "unchanged")))
    console.print(table)


def print_changes(imp) -> None:
    """A sample of the changed rows (before → after), the months touched and the published runs among them."""
    from rich.table import Table

    from merit.cli import _short, console
    from merit.ingest.queries import months_of, published_runs_touched

    rows = [(t, r) for t, sample in (imp.changes or {}).items() for r in sample]
    if rows:
        table = Table(title="changed rows (a sample)", title_justify="left")
        for c in ("表 table", "行 row", "列 column", "原值 before", "新值 after"):
            table.add_column(c)
        for name, r in rows:
            key = " · ".join(str(v) for v in r["key"].values())
            for c in r["changes"]:
                table.add_row(name, key, c["column"], _short(c["before"]), _short(c["after"]))
        console.print(table)
    months = sorted(months_of(imp))
    if months:
        console.print(f"months with new or changed rows: {', '.join(months)}")
    for run in published_runs_touched(set(months)):
        span = (
            run.first_period
            if run.first_period == run.last_period
            else f"{run.first_period}..{run.last_period}"
        )
        console.print(
            f"[yellow]published run #{run.pk} ({run.policy_version.policy_id} {span}):[/] its months change; "
            'its results stay as published and it is marked "facts changed since publication"'
        )


def print_problems(imp) -> None:
    from rich.table import Table

    from merit.cli import _short, err

    title = f"import #{imp.pk} {imp.source_name}: {imp.problem_count} problem(s); nothing was applied"
    table = Table(title=title, title_justify="left")
    for c in ("表 table", "行 row", "列 column", "值 value", "原因 reason"):
        table.add_column(c)
    for p in imp.problems:
        row = "" if p.get("row") is None else str(p["row"])
        table.add_row(
            p.get("table") or "", row, p.get("column") or "", _short(p.get("value")), p.get("reason", "")
        )
    err.print(table)
