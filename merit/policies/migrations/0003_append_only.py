"""The database refuses UPDATE and DELETE on every policy version: a version, once saved, is what runs
were computed with (a change is a new version)."""

from django.db import migrations

from merit.audit.guards import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0002_titles"),
        ("audit", "0001_initial"),
    ]

    operations = [
        AppendOnly("policies_policyversion"),
    ]
