from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "merit.assessment"
    verbose_name = "考核 assessment runs"
    default_auto_field = "django.db.models.BigAutoField"
