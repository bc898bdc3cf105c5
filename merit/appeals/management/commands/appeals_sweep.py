"""``manage.py appeals_sweep``: remind and escalate the appeals due (for cron, or by hand);
``--schedule`` queues the periodic sweep on the task worker instead."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Remind reviewers of appeals due within a day and escalate the overdue ones (申诉时效巡检)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="queue the periodic sweep on the task worker"
        )

    def handle(self, *args, schedule=False, **options):
        if schedule:
            from merit.appeals.tasks import schedule_next

            schedule_next()
            self.stdout.write("appeals sweep queued on the task worker")
            return
        from merit.appeals.actions import sweep

        done = sweep()
        self.stdout.write(f"reminded {done['reminded']} · escalated {done['escalated']}")
