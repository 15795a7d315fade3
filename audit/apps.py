from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The change history and the patient access log pages (no models: they read the history tables and the
    access log of the apps that own them)."""

    name = "audit"
    verbose_name = "Audit"
