from django.urls import path

from daylist import views

app_name = "daylist"

urlpatterns = [
    path("", views.day_list, name="day-list"),
    path("day-list.csv", views.day_list_csv, name="day-list-csv"),
    path("nurses/", views.assignments, name="assignments"),
]
