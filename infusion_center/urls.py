from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import views as oauth_views

from accounts.forms import AdminSignInForm, SignInForm
from infusion_center import views
from scheduling.views import home

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("audit/", include("patients.audit_urls")),
    path("integration/", include("integrations.urls")),
    path("fhir/", include("integrations.fhir.urls")),
    path("o/token/", oauth_views.TokenView.as_view(), name="oauth2-token"),
    path("", include("scheduling.urls")),
    path("", home, name="home"),
]

handler500 = "infusion_center.errors.server_error"  # a database outage answers 503 in words
admin.site.login_form = AdminSignInForm
