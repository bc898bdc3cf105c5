"""The default SLA targets for every team (business minutes): S8's 30-minute first response and S10's
2-hour resolution for urgent cases, S10's level 1 (1 h / 24 h) for high and level 2 (3 h / 48 h) for
normal priority."""

from django.db import migrations

DEFAULTS = [
    ("urgent", 30, 120, "S8 首次响应30分钟 · S10 解决≤2小时"),
    ("high", 60, 1440, "S10 一级: 1小时响应 / 24小时解决"),
    ("normal", 180, 2880, "S10 二级: 3小时响应 / 48小时解决"),
]


def seed(apps, schema_editor):
    SlaTarget = apps.get_model("tickets", "SlaTarget")
    for priority, first, resolution, source in DEFAULTS:
        SlaTarget.objects.get_or_create(
            team=None,
            kind="",
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
