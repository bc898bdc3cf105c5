from django.urls import path

from merit.shop import views

app_name = "shop"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("prizes/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("fines/<int:pk>/offset/", views.offset, name="offset"),
    path("orders/", views.queue, name="queue"),
    path("orders/<int:pk>/<str:action>/", views.order_act, name="act"),
    path("prizes/new/", views.prize_edit, name="prize_new"),
    path("prizes/<int:pk>/", views.prize_edit, name="prize"),
]
