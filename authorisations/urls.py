from django.urls import path

from authorisations import views

app_name = "authorisations"

urlpatterns = [
    path("", views.authorisation_list, name="list"),
    path("plans/<int:plan_id>/new/", views.authorisation_create, name="create"),
    path("<int:pk>/edit/", views.authorisation_edit, name="edit"),
]
