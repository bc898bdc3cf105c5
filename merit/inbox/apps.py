from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "merit.inbox"
    verbose_name = "通知 notifications"
    default_auto_field = "django.db.models.BigAutoField"
