"""``manage.py dashboards_refresh``: compute the dashboards' KPIs and provisional results now (for cron, or
by hand); ``--schedule`` queues the periodic refresh on the task worker instead."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compute the monitored KPIs of recent months and this month's provisional results (看板刷新)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="queue the periodic refresh on the worker"
        )
        parser.add_argument("--period", action="append", help="a month YYYY-MM (repeatable); default: recent")

    def handle(self, *args, schedule=False, period=None, **options):
        if schedule:
            from merit.dashboards.tasks import schedule_next

            schedule_next()
            self.stdout.write("dashboards refresh queued on the task worker")
            return
        from merit.dashboards.actions import refresh

        done = refresh(period)
        for p, n in done["kpis"].items():
            self.stdout.write(f"{p}: {n}")
        for policy, n in done["provisional"].items():
            self.stdout.write(f"provisional {policy}: {n}")
