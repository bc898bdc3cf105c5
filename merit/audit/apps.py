from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "merit.audit"
    label = "audit"
    verbose_name = "审计 audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from merit.audit import guards, signals

        signals.connect()
        guards.keep_guards_through_sqlite_flush()
