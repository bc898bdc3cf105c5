from django.urls import path

from merit.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("teams/<str:team_id>/", views.team, name="team"),
    path("agents/<str:agent_id>/", views.agent, name="agent"),
    path("charts/<str:name>/", views.chart, name="chart"),
]
