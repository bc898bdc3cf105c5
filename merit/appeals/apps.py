from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "merit.appeals"
    verbose_name = "申诉 appeals"
    default_auto_field = "django.db.models.BigAutoField"
