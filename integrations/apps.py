from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Hospital integration"

    def ready(self) -> None:
        from integrations.hl7 import signals

        signals.connect()
