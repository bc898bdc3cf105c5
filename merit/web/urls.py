from django.contrib.auth import views as auth_views
from django.urls import path

from merit.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("people/", views.people, name="people"),
    path("people/<str:agent_id>/", views.person, name="person"),
]
