from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "merit.web"
    verbose_name = "页面 web"
