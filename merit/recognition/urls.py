from django.urls import path

from merit.recognition import views

app_name = "recognition"

urlpatterns = [
    path("", views.selection_list, name="list"),
    path("open/", views.selection_open, name="open"),
    path("<int:pk>/", views.selection_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.selection_act, name="act"),
]
