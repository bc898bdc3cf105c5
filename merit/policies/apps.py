from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "merit.policies"
    verbose_name = "考核方案 policies"
    default_auto_field = "django.db.models.BigAutoField"
