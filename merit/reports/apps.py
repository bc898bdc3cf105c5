from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "merit.reports"
    verbose_name = "报表与导出 reports and exports"
    default_auto_field = "django.db.models.BigAutoField"
