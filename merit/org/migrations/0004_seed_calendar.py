"""Seed the working-day calendar with the official holidays and make-up working days (调休) that
chinese_calendar knows; rows admins add or change later are theirs."""

from django.db import migrations

from merit.engine.calendar import official_exceptions


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("org", "CalendarDay")
    known = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, workday=work, note=name[:100])
        for day, work, name in official_exceptions(2020, 2030)
        if day not in known
    )


class Migration(migrations.Migration):
    dependencies = [("org", "0003_calendarday")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
