from django.urls import path

from pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("appointments/<int:pk>/waste/", views.preparation_waste, name="waste"),
    path("appointments/<int:pk>/allow-mix/", views.allow_mix, name="allow-mix"),
    path("appointments/<int:pk>/<slug:step>/", views.preparation_step, name="step"),
    path("waste-report/", views.waste_report, name="waste-report"),
]
