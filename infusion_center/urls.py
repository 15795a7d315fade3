from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import views as oauth_views

from accounts import lockout_views
from accounts.forms import AdminSignInForm, SignInForm
from accounts.password_reset import QueuedPasswordResetForm
from infusion_center import views
from scheduling.views.board import home

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("healthz/mail/", views.healthz_mail, name="healthz-mail"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/lockouts/", lockout_views.lockout_list, name="lockouts"),
    path("accounts/lockouts/<int:pk>/clear/", lockout_views.lockout_clear, name="lockout-clear"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("audit/", include("audit.urls")),
    path("authorisations/", include("authorisations.urls")),
    path("pharmacy/", include("pharmacy.urls")),
    path("day-list/", include("daylist.urls")),
    path("integration/", include("integrations.urls")),
    path("fhir/", include("integrations.fhir.urls")),
    path("o/token/", oauth_views.TokenView.as_view(), name="oauth2-token"),
    path("", include("scheduling.urls")),
    path("", include("replies.urls")),
    path("", home, name="home"),
]

handler500 = "infusion_center.errors.server_error"  # a database outage answers 503 in words
admin.site.login_form = AdminSignInForm
