from django.urls import path

from integrations.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_search, name="patient-search"),
    path("Patient/<str:resource_id>", views.patient_read, name="patient-read"),
    path("Appointment", views.appointment_search, name="appointment-search"),
    path("Appointment/<str:resource_id>", views.appointment_read, name="appointment-read"),
    path("Schedule", views.schedule_search, name="schedule-search"),
    path("Schedule/<str:resource_id>", views.schedule_read, name="schedule-read"),
    path("Slot", views.slot_search, name="slot-search"),
    path("Location", views.location_search, name="location-search"),
    path("Location/<str:resource_id>", views.location_read, name="location-read"),
]
