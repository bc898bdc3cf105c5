from django.contrib import admin
from django.urls import include, path

from merit.api.main import api
from merit.tickets.views import survey

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch
    path("imports/", include("merit.ingest.urls")),
    path("runs/", include("merit.assessment.urls")),
    path("policies/", include("merit.policies.urls")),
    path("ledger/", include("merit.ledger.urls")),
    path("desk/", include("merit.tickets.urls")),
    path("inbox/", include("merit.inbox.urls")),
    path("discipline/", include("merit.discipline.urls")),
    path("appeals/", include("merit.appeals.urls")),
    path("shop/", include("merit.shop.urls")),
    path("recognition/", include("merit.recognition.urls")),
    path("dashboard/", include("merit.dashboards.urls")),
    path("reports/", include("merit.reports.urls")),
    path("survey/<str:token>/", survey, name="survey"),
    path("", include("merit.web.urls")),
]

handler404 = "merit.web.views.not_found"
handler500 = "merit.web.views.server_error"
