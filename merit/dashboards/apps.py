from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "merit.dashboards"
    verbose_name = "看板 dashboards"
    default_auto_field = "django.db.models.BigAutoField"
