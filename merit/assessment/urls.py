from django.urls import path

from merit.assessment import views

app_name = "runs"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("new/", views.run_new, name="new"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/progress/", views.run_progress, name="progress"),
    path("<int:pk>/<str:action>/", views.run_review, name="review"),
    path("<int:pk>/agents/<str:agent_id>/<str:period>/", views.agent_result, name="agent"),
    path("<int:pk>/teams/<str:team_id>/<str:period>/", views.team_result, name="team"),
]
