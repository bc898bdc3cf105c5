from django.urls import path

from merit.appeals import views

app_name = "appeals"

urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new/", views.appeal_new, name="new"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/answer/", views.appeal_answer, name="answer"),
    path("<int:pk>/withdraw/", views.appeal_withdraw, name="withdraw"),
    path("<int:pk>/evidence/", views.appeal_evidence, name="evidence"),
]
