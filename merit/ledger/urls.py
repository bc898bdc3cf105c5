from django.urls import path

from merit.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("agents/<str:agent_id>/", views.agent_ledger, name="agent"),
]
