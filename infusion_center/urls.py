from django.contrib import admin
from django.urls import include, path

from infusion_center import views
from scheduling.views import home

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("audit/", include("patients.audit_urls")),
    path("", include("scheduling.urls")),
    path("", home, name="home"),
]

handler500 = "infusion_center.errors.server_error"  # a database outage answers 503 in words
