from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "merit.shop"
    verbose_name = "积分商城 points shop"
    default_auto_field = "django.db.models.BigAutoField"
