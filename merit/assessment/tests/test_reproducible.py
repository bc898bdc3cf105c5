"""The same run on SQLite and on PostgreSQL gives the same results, byte for byte (the same output hash).

One test computes the run on the test database, then on the other kind of database in the same process:
the default connection is swapped for one to a fresh database of the other kind (a temporary SQLite file
when the tests run on PostgreSQL; a PostgreSQL database, when a server answers, when they run on
SQLite), which is migrated and given the same facts and policies.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend

from merit.assessment.models import RunState
from merit.assessment.tests.conftest import build_shop, computing
from merit.config.settings import sqlite_database

pytestmark = computing

PG_SERVER = os.environ.get("MERIT_TEST_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "merit_runs_reproducible"


@contextmanager
def default_database(overrides: dict):
    """The default connection of this thread goes to another database while the block runs."""
    old = connections["default"]
    settings_dict = {**old.settings_dict, "HOST": "", "PORT": "", "USER": "", "PASSWORD": "", **overrides}
    new = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = new
    ContentType.objects.clear_cache()  # its cache holds the other database's ids
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield new
    finally:
        new.close()
        connections["default"] = old
        ContentType.objects.clear_cache()


@contextmanager
def other_database(tmp_path):
    if connection.vendor == "postgresql":
        path = tmp_path / "other.sqlite3"
        sqlite = sqlite_database(path)
        with default_database({"ENGINE": sqlite["ENGINE"], "NAME": str(path), "OPTIONS": sqlite["OPTIONS"]}):
            yield
        return
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} to compare with")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_NAME}"')
        try:
            host, port = PG_SERVER.rsplit("@", 1)[1].split(":")
            with default_database(
                {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": PG_NAME,
                    "HOST": host,
                    "PORT": port,
                    "USER": PG_SERVER.split("//", 1)[1].split("@", 1)[0],
                    "OPTIONS": {},
                    "CONN_MAX_AGE": 0,
                }
            ):
                yield
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def test_the_same_run_on_sqlite_and_postgresql_has_the_same_output_hash(shop_files, tmp_path):
    here = build_shop(shop_files).run()
    assert here.state == RunState.COMPUTED
    vendor = connection.vendor
    with other_database(tmp_path):
        assert connection.vendor != vendor
        there = build_shop(shop_files).run()
        assert there.state == RunState.COMPUTED, there.error
        other_bytes, other = bytes(there.results), there
    assert connection.vendor == vendor
    assert other.input_sha256 == here.input_sha256
    assert other.output_sha256 == here.output_sha256
    assert other_bytes == bytes(here.results)
