"""A published run and its per-agent results never change: the database refuses UPDATE and DELETE on
them (merit.audit.guards). Runs not yet published stay writable (progress, review)."""

from django.db import migrations

from merit.audit.guards import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_review_fields"),
    ]

    operations = [
        AppendOnly("assessment_run", protect_if="OLD.state = 'published'"),
        AppendOnly(
            "assessment_agentresult",
            protect_if="(SELECT state FROM assessment_run WHERE id = OLD.run_id) = 'published'",
        ),
    ]
