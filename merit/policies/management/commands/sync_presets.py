"""``manage.py sync_presets``: store the presets shipped with this release (run after ``migrate``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from merit.policies.actions import ensure_presets


class Command(BaseCommand):
    help = "Store every preset policy not stored yet, or whose shipped text changed, as a new version."

    def handle(self, *args, **options):
        summary = ensure_presets()
        for outcome, label in (
            ("created", "stored"),
            ("unchanged", "unchanged"),
            ("kept_local", "changed by this release but edited locally (the local version stays)"),
        ):
            if summary[outcome]:
                self.stdout.write(f"{label}: {', '.join(summary[outcome])}")
