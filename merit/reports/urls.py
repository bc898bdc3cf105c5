from django.urls import path

from merit.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.export, name="export"),
    path("exports/", views.jobs, name="jobs"),
    path("exports/<int:pk>/download/", views.download, name="download"),
]
