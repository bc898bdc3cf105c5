"""The application's subcommands of `merit` (they need Django; the engine's subcommands do not)."""

from __future__ import annotations

import os


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merit.config.settings")
    import django

    django.setup()


def register(sub) -> None:
    from merit.ingest.cli import add_parser as add_import

    add_import(sub)
