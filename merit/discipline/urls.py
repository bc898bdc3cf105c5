from django.urls import path

from merit.discipline import views

app_name = "discipline"

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_new, name="new"),
    path("<int:pk>/", views.proposal_detail, name="proposal"),
    path("<int:pk>/<str:action>/", views.proposal_act, name="act"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/<str:action>/", views.notice_act, name="notice_act"),
    path("board/", views.board, name="board"),
    path("file/", views.my_file, name="my_file"),
    path("file/<str:agent_id>/", views.personnel_file, name="file"),
    path("file/<str:agent_id>/export.<str:fmt>", views.personnel_file_export, name="file_export"),
    path("settings/", views.settings_view, name="settings"),
]
