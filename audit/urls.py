"""The audit pages, mounted at /audit/."""

from django.urls import path

from audit import views as audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.ChangeHistoryView.as_view(), name="changes"),
    path("access/", audit_views.AccessLogView.as_view(), name="access"),
]
