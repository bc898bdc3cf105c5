from django.apps import AppConfig


class FactsConfig(AppConfig):
    name = "merit.facts"
    verbose_name = "事实数据 facts"
    default_auto_field = "django.db.models.BigAutoField"
