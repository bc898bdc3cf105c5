"""manage.py verify_audit: recompute the audit chain (the same as ``merit verify-audit``)."""

from django.core.management.base import BaseCommand, CommandError

from merit.audit.cli import EXIT_BAD_INPUT, parse_anchor, run


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain; exit 1 naming the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--anchor", metavar="SEQ:HASH", help="a seq:hash printed by an earlier run")

    def handle(self, *args, **options):
        try:
            anchor = parse_anchor(options["anchor"])
        except ValueError as e:
            raise CommandError(str(e), returncode=EXIT_BAD_INPUT) from e
        status = run(anchor, self.stdout.write, self.stderr.write)
        if status:
            raise CommandError("the audit chain is not whole (see above)", returncode=status)
