"""A URL configuration for tests only: the site's, plus a view that fails (a server error on purpose)."""

from django.urls import path

from merit.config.urls import handler404, handler500  # noqa: F401 — the site's error views
from merit.config.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("boom on purpose (test)")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *site]
