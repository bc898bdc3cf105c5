"""A saved version never changes: the database refuses UPDATE and DELETE on its row, whether the
statement comes from raw SQL or from the ORM (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from merit.policies.actions import create_version
from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import S5_EDITED, S5_TEXT

pytestmark = pytest.mark.django_db

REFUSAL = "policies_policyversion is append-only"


def refused():
    return pytest.raises(IntegrityError, match=REFUSAL)


@pytest.fixture
def version(presets, world):
    return create_version(world.users["hr"], "S5", S5_EDITED, date(2026, 4, 1), "steps of 0.2 pp")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE policies_policyversion SET text = 'id: S5' WHERE id = %s",
        "UPDATE policies_policyversion SET effective_from = '2020-01-01' WHERE id = %s",
        "UPDATE policies_policyversion SET sha256 = sha256 WHERE id = %s",  # even a no-op write
        "DELETE FROM policies_policyversion WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_a_version(version, sql):
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [version.pk])
    stored = PolicyVersion.objects.get(pk=version.pk)
    assert (stored.text, stored.effective_from, stored.sha256) == (
        S5_EDITED,
        date(2026, 4, 1),
        version.sha256,
    )


def test_raw_sql_cannot_delete_a_preset_version_either(presets):
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM policies_policyversion")
    assert PolicyVersion.objects.count() == len(presets["created"])


def test_the_orm_cannot_change_a_version(version):
    version.text = S5_TEXT
    with refused(), transaction.atomic():
        version.save()
    with refused(), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).update(note="rewritten")
    assert PolicyVersion.objects.get(pk=version.pk).text == S5_EDITED


def test_the_orm_cannot_delete_a_version(version):
    with refused(), transaction.atomic():
        version.delete()
    with refused(), transaction.atomic():
        PolicyVersion.objects.filter(policy_id="S5").delete()
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 2


def test_new_versions_are_still_inserted(version, world):
    assert create_version(world.users["hr"], "S5", S5_TEXT, date(2026, 5, 1)).version == 3
