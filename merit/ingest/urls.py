from django.urls import path

from merit.ingest import entry_views, views

app_name = "ingest"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("scores/", entry_views.scores, name="scores"),
    path("incidents/new/", entry_views.incident_new, name="incident_new"),
    path("evidence/<int:pk>/", entry_views.evidence_file, name="evidence"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/confirm/", views.import_decide, {"decision": "confirm"}, name="confirm"),
    path("<int:pk>/discard/", views.import_decide, {"decision": "discard"}, name="discard"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/problems.csv", views.import_problems_csv, name="problems_csv"),
]
