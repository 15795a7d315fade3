from django.contrib import admin
from django.urls import include, path

from scheduling.views import home

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("", include("scheduling.urls")),
    path("", home, name="home"),
]
