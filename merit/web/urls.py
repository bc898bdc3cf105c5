from django.urls import path

from merit.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
