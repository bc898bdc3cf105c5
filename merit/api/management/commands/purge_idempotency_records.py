"""manage.py purge_idempotency_records: delete idempotency records older than 24 hours."""

from django.core.management.base import BaseCommand

from merit.api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete the idempotency records older than 24 hours (they are no longer honoured)."

    def handle(self, *args, **options):
        self.stdout.write(f"{purge_expired()} expired idempotency record(s) deleted")
