from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "merit.web"
    verbose_name = "页面 web"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from merit.web.sessions import end_sessions_of_deactivated

        post_save.connect(
            end_sessions_of_deactivated, sender=get_user_model(), dispatch_uid="merit.web.end_sessions"
        )
        admin.site.site_header = "merit 管理后台"
        admin.site.site_title = "merit 管理后台"
        admin.site.index_title = "人员、导入与设置 people, imports and settings"
