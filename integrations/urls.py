from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/<int:pk>/", views.import_batch, name="import-batch"),
    path("import/template/<str:kind>.csv", views.import_template, name="import-template"),
    path("hl7/", views.siu_outbox, name="siu-outbox"),
    path("hl7/<int:pk>/resend/", views.siu_resend_view, name="siu-resend"),
    path("fhir-clients/", views.fhir_clients, name="fhir-clients"),
]
