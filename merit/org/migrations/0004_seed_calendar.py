"""Seed the working-day calendar with the official holidays and make-up working days (调休) that
chinese_calendar knows; rows admins add or change later are theirs."""

from datetime import date, timedelta

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar as cc

    CalendarDay = apps.get_model("org", "CalendarDay")
    known = set(CalendarDay.objects.values_list("date", flat=True))
    rows = []
    for year in range(2020, 2031):
        try:
            cc.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        day = date(year, 1, 1)
        while day.year == year:
            work = cc.is_workday(day)
            if (day.weekday() < 5) != work and day not in known:
                _, name = cc.get_holiday_detail(day)
                rows.append(CalendarDay(date=day, workday=work, note=str(name or "")[:100]))
            day += timedelta(days=1)
    CalendarDay.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("org", "0003_calendarday")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
