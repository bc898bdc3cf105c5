from django.contrib import admin
from django.urls import include, path

from merit.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("merit.web.urls")),
]
