from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "merit.org"
    label = "org"
    verbose_name = "组织 / Organisation"
