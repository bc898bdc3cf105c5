from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "merit.recognition"
    verbose_name = "评优 recognition"
    default_auto_field = "django.db.models.BigAutoField"
