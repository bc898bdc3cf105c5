from django.urls import path

from merit.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/confirm/", views.import_decide, {"decision": "confirm"}, name="confirm"),
    path("<int:pk>/discard/", views.import_decide, {"decision": "discard"}, name="discard"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/problems.csv", views.import_problems_csv, name="problems_csv"),
]
