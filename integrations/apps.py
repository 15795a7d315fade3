from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Hospital integration"

    def ready(self) -> None:
        from infusion_center.roles import sync_roles
        from integrations.hl7 import signals

        signals.connect()
        # this app's permissions exist only after its own migrate step: give them to the roles then
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="integrations.sync_roles")
