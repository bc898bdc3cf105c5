"""The API tests' world (two teams, one user of every role) plus a Django superuser, for the audit tests;
uploads go to a temporary folder."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from merit.api.tests.conftest import World, build_world
from merit.audit.guards import guard_sql, unguard_sql

AUDIT_TABLE = "audit_auditentry"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db) -> World:
    w = build_world()
    w.users["root"] = get_user_model().objects.create_superuser("root", email=None, password="Root-pass-9041")
    return w


def run_sql(*statements: str) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_audit_guard() -> None:
    """What the database's owner can do: remove the triggers that refuse UPDATE and DELETE."""
    run_sql(*unguard_sql(connection.vendor, AUDIT_TABLE))


def restore_audit_guard() -> None:
    run_sql(*guard_sql(connection.vendor, AUDIT_TABLE))


def refused(sql: str, table: str = AUDIT_TABLE):
    """Run ``sql`` and expect the database to refuse it as a write to an append-only table."""
    with pytest.raises(IntegrityError, match=f"{table} is append-only"), transaction.atomic():
        run_sql(sql)
