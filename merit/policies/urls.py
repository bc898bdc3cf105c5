from django.urls import path

from merit.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("new/", views.policy_new, name="new"),
    path("validate/", views.validate, name="validate"),
    path("<str:policy_id>/", views.policy_detail, name="detail"),
    path("<str:policy_id>/edit/", views.version_new, name="edit"),
    path("<str:policy_id>/v<int:version>/", views.version_detail, name="version"),
    path("<str:policy_id>/v<int:version>/diff/", views.version_diff, name="diff"),
]
