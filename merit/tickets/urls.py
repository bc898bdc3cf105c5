from django.urls import path

from merit.tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, {"which": "mine"}, name="mine"),
    path("team/", views.queue, {"which": "team"}, name="team"),
    path("new/", views.new_case, name="new"),
    path("<str:ticket_id>/", views.case_page, name="case"),
    path("<str:ticket_id>/reveal/", views.reveal, name="reveal"),
    path("<str:ticket_id>/<str:action>/", views.act, name="act"),
]
