"""``manage.py sla_sweep``: assign waiting cases and mark SLA breaches once (for cron, or by hand);
``--schedule`` queues the periodic sweep on the task worker instead."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Assign waiting cases and mark SLA breaches (售后工单时效巡检)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="queue the periodic sweep on the task worker"
        )

    def handle(self, *args, schedule=False, **options):
        if schedule:
            from merit.tickets.tasks import schedule_next

            schedule_next()
            self.stdout.write("sweep queued on the task worker")
            return
        from merit.tickets.actions import sweep

        done = sweep()
        self.stdout.write(
            f"assigned {done['assigned']} · first-response breaches {done['first_response']} · "
            f"resolution breaches {done['resolution']}"
        )
