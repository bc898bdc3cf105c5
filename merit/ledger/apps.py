from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "merit.ledger"
    verbose_name = "台账 ledgers"
    default_auto_field = "django.db.models.BigAutoField"
