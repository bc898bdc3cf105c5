from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "merit.ingest"
    verbose_name = "导入 imports"
    default_auto_field = "django.db.models.BigAutoField"
