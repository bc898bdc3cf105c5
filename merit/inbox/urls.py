from django.urls import path

from merit.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:pk>/open/", views.open_note, name="open"),
    path("read-all/", views.read_all, name="read_all"),
]
