"""Facts in and out of the database (SQLite and PostgreSQL): the sample shop written with write_tables
and read back with read_package gives the engine the same assessment as the files themselves."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from django.db import transaction

from merit.engine import tables as T
from merit.engine.api import assess_package, parse_periods
from merit.engine.package import Package, PackageError, load_package
from merit.engine.policy.load import load_policy
from merit.facts import io
from merit.facts.io import export_org, history_months, postgres_uri, read_package, write_tables
from merit.facts.models import FACT_MODELS, Chat, Sale, field_name
from merit.org.models import Agent, Team

SHOP = Path(__file__).resolve().parents[3] / "sample_data" / "shop"
# The digest of the shop's rows of 2026-02..2026-03 plus its agents and teams. It is the same on
# SQLite and PostgreSQL (the suite runs on both): it depends on the values, not on the database.
SHOP_MARCH_SHA256 = "e6d6503d6279a9c5d69c60972abfc99a64a5971619c9daac52cfa32c5fe1e102"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shop_files():
    pkg = load_package(SHOP)
    yield pkg
    pkg.con.close()


@pytest.fixture
def shop(shop_files):
    """A copy of the loaded sample that a test may change (loading the files again is slower)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for name in T.TABLES:
        con.register("src", shop_files.con.sql(f'SELECT * FROM "{name}"').to_arrow_table())
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM src')
        con.unregister("src")
    yield Package(con, shop_files.input_sha256, list(shop_files.notices), shop_files.tables_present)
    con.close()


def write(pkg, tables=None, batch=1, progress=None):
    with transaction.atomic():
        return write_tables(pkg.con, list(tables or T.TABLES), batch, progress)


def rows(pkg, table: str) -> int:
    return pkg.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_a_first_write_inserts_every_row_and_the_same_rows_again_change_nothing(shop):
    first = write(shop, batch=1)
    assert set(first) == set(T.TABLES)
    for name, c in first.items():
        assert (c.read, c.inserted, c.updated, c.unchanged) == (rows(shop, name), rows(shop, name), 0, 0), (
            name
        )
    assert Chat.objects.count() == 26952
    assert (Agent.objects.count(), Team.objects.count()) == (30, 3)

    again = write(shop, batch=2)
    for name, c in again.items():
        assert (c.inserted, c.updated, c.unchanged) == (0, 0, c.read), name
    assert not Chat.objects.filter(batch=2).exists()
    assert Chat.objects.count() == 26952


def test_a_changed_row_is_updated_and_a_new_one_inserted_both_marked_with_their_import(shop):
    write(shop, batch=1)
    shop.con.execute("UPDATE chats SET order_amount = 99.5 WHERE chat_id = 'CH0000000004'")
    shop.con.execute(
        "INSERT INTO chats SELECT 'CH9999999999', agent_id, started_at, 1, 2, true, true, false, NULL "
        "FROM chats WHERE chat_id = 'CH0000000004'"
    )
    shop.con.execute("UPDATE agents SET level = 'L5' WHERE agent_id = 'A00002'")
    shop.con.execute("UPDATE teams SET lead_agent_id = 'A00002' WHERE team_id = 'T001'")
    counts = write(shop, batch=7)
    chats = counts["chats"]
    assert (chats.read, chats.inserted, chats.updated, chats.unchanged) == (26953, 1, 1, 26951)
    assert (counts["agents"].updated, counts["teams"].updated, counts["tickets"].updated) == (1, 1, 0)
    assert sorted(Chat.objects.filter(batch=7).values_list("chat_id", flat=True)) == [
        "CH0000000004",
        "CH9999999999",
    ]
    assert Chat.objects.get(chat_id="CH0000000004").order_amount == Decimal("99.5")
    assert Agent.objects.get(agent_id="A00002").level == "L5"
    assert Team.objects.get(team_id="T001").lead.agent_id == "A00002"


def test_the_orm_reads_every_written_value_back_exactly(shop):
    shop.con.execute(
        "UPDATE chats SET started_at = TIMESTAMP '2026-01-05 03:04:05.123456' WHERE chat_id = 'CH0000000005'"
    )
    write(shop)
    chat = Chat.objects.get(chat_id="CH0000000004")  # 2026-01-01T09:09:38 Shanghai, 102.34
    assert chat.started_at == datetime(2026, 1, 1, 1, 9, 38, tzinfo=UTC)
    assert chat.order_amount == Decimal("102.34") and isinstance(chat.order_amount, Decimal)
    assert (chat.replied, chat.converted, chat.agent_id) == (True, True, "A00013")
    assert Chat.objects.get(chat_id="CH0000000005").started_at == datetime(
        2026, 1, 5, 3, 4, 5, 123456, tzinfo=UTC
    )
    agent = Agent.objects.get(agent_id="A00001")
    assert (agent.name, agent.team.team_id, agent.role, agent.employment) == (
        "郑欣辉",
        "T001",
        "pre_sales",
        "regular",
    )
    assert (agent.hired_on, agent.level, agent.base_bonus) == (date(2019, 3, 4), "L4", Decimal("2400.00"))
    assert agent.active and agent.user is None
    # every column of the first 40 rows of every event table, as the ORM reads them
    for name, model in FACT_MODELS.items():
        table = T.TABLES[name]
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        keys = ", ".join(f'"{k}"' for k in table.key)
        expected = shop.con.execute(f"SELECT {cols} FROM {name} ORDER BY {keys} LIMIT 40").fetchall()
        fields = [field_name(c) + ("_id" if c.agent_ref else "") for c in table.columns]
        got = model.objects.order_by(*[field_name(table.column(k)) for k in table.key]).values_list(*fields)[
            :40
        ]
        assert [tuple(_aware(v) for v in row) for row in expected] == list(got), name


def _aware(v):
    return v.replace(tzinfo=UTC) if isinstance(v, datetime) else v


def test_values_the_database_cannot_hold_are_refused_and_nothing_is_written(shop):
    shop.con.execute("UPDATE agents SET name = repeat('长', 101) WHERE agent_id = 'A00002'")
    with pytest.raises(PackageError) as e:
        write(shop)
    (p,) = e.value.problems
    assert (p.table, p.column, p.value) == ("agents", "name", "长" * 101)
    assert "100 characters" in p.reason
    assert not Agent.objects.exists() and not Team.objects.exists()


def test_events_of_an_agent_the_database_does_not_know_are_refused(shop):
    with pytest.raises(PackageError) as e:
        write(shop, ["chats"])  # no agents stored yet
    assert {p.value for p in e.value.problems} == {f"A{i:05d}" for i in range(1, 31)}
    assert all(p.reason.startswith("unknown agent") for p in e.value.problems)
    assert not Chat.objects.exists()


def test_progress_is_reported_batch_by_batch(shop, monkeypatch):
    monkeypatch.setattr(io, "BATCH_ROWS", 10_000)
    seen = []
    write(shop, progress=lambda table, done, total: seen.append((table, done, total)))
    assert [s for s in seen if s[0] == "chats"] == [
        ("chats", 0, 26952),
        ("chats", 10_000, 26952),
        ("chats", 20_000, 26952),
        ("chats", 26952, 26952),
    ]
    assert seen[0][0] == "teams" and {s[0] for s in seen} == set(T.TABLES)
    # batches that meet stored rows are merged row by row, and counted right across batches
    shop.con.execute(
        "UPDATE chats SET replied = NOT replied WHERE chat_id IN ('CH0000000001', 'CH0000026952')"
    )
    c = write(shop, ["chats"], batch=2)["chats"]
    assert (c.inserted, c.updated, c.unchanged) == (0, 2, 26950)


def test_a_shop_wide_sales_row_without_agent_is_matched_on_its_empty_key(shop):
    shop.con.execute("INSERT INTO sales VALUES ('2026-03', NULL, 50000, 1200, 300, 900, 80)")
    assert write(shop)["sales"].inserted == 181
    assert write(shop)["sales"].unchanged == 181
    shop.con.execute("UPDATE sales SET order_amount = 51000 WHERE agent_id IS NULL")
    c = write(shop, batch=3)["sales"]
    assert (c.inserted, c.updated, c.unchanged) == (0, 1, 180)
    shop_wide = Sale.objects.get(agent__isnull=True)
    assert (shop_wide.order_amount, shop_wide.batch) == (Decimal("51000"), 3)


def test_exported_org_files_are_the_package_files_and_check_a_partial_upload(shop, tmp_path):
    write(shop)
    export_org(tmp_path)
    for name in ("agents", "teams"):
        assert (tmp_path / f"{name}.csv").read_text("utf-8") == (SHOP / f"{name}.csv").read_text("utf-8")
    shutil.copy(SHOP / "tickets.csv", tmp_path / "tickets.csv")
    partial = load_package(tmp_path)
    c = write(partial, ["tickets"], batch=2)["tickets"]
    assert (c.read, c.inserted, c.updated, c.unchanged) == (5413, 0, 0, 5413)
    partial.con.close()


def test_history_months_follow_the_policy_metrics():
    assert history_months(load_policy("S5")) >= 1


def test_postgres_uri_quotes_credentials_and_takes_sockets():
    uri = postgres_uri({"NAME": "merit", "USER": "me", "PASSWORD": "p@ss:/w", "HOST": "db", "PORT": 5433})
    assert uri == "postgresql://me:p%40ss%3A%2Fw@db:5433/merit"
    sock = postgres_uri(
        {"NAME": "merit", "USER": "", "HOST": "/run/postgresql", "OPTIONS": {"sslmode": "disable"}}
    )
    assert sock == "postgresql:///merit?sslmode=disable&host=%2Frun%2Fpostgresql"


# ---- out: the same assessment from the database as from the files --------------------------------


@pytest.mark.django_db(transaction=True)  # PostgreSQL is read through a connection of its own
def test_the_engine_assesses_the_database_as_it_assesses_the_files(shop):
    shop.con.execute(
        "UPDATE incidents SET note = CASE incident_id WHEN 'IN0000000001' THEN '他说：\"退款\", 好的\n第二行' "
        "WHEN 'IN0000000002' THEN '' ELSE note END"
    )
    write(shop)
    march = read_package(["2026-03"])
    for name in T.TABLES:  # the loader's relations, type for type
        assert (
            march.con.execute(f"DESCRIBE {name}").fetchall()
            == shop.con.execute(f"DESCRIBE {name}").fetchall()
        )
    # the month asked and the month before it (the previous-month metrics), in Asia/Shanghai months
    feb_mar = "started_at >= TIMESTAMP '2026-01-31 16:00:00' AND started_at < TIMESTAMP '2026-03-31 16:00:00'"
    assert (
        rows(march, "chats")
        == shop.con.execute(f"SELECT count(*) FROM chats WHERE {feb_mar}").fetchall()[0][0]
    )
    assert rows(march, "agents") == 30 and rows(march, "sales") == 60
    assert march.input_sha256 == SHOP_MARCH_SHA256

    # S10 compares a month's shop rating with the month before's: it needs the month read before March
    for policy in ("S5", "S10"):
        lp = load_policy(policy)
        from_files, _ = assess_package(shop, lp, ["2026-03"])
        from_db, _ = assess_package(march, lp, ["2026-03"])
        assert from_db["periods"] == from_files["periods"], policy

    months = parse_periods("2026-01..2026-06")
    half_year = read_package(months)
    for name, table in T.TABLES.items():  # every row and value, as the files gave them
        order = ", ".join(f'"{c}"' for c in table.column_names)
        sql = f"SELECT * FROM {name} ORDER BY {order}"
        assert half_year.con.execute(sql).fetchall() == shop.con.execute(sql).fetchall(), name
    s2 = load_policy("S2")
    from_files, _ = assess_package(shop, s2, months)
    from_db, _ = assess_package(half_year, s2, months)
    assert from_db["periods"] == from_files["periods"]

    only_chats = read_package(["2026-03"], tables=["chats"])
    assert rows(only_chats, "tickets") == 0 and rows(only_chats, "chats") == rows(march, "chats")
    assert only_chats.tables_present == {"agents", "teams", "chats"}
    for pkg in (march, half_year, only_chats):
        pkg.con.close()
