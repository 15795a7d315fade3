from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from infusion_center import format_settings
        from infusion_center.roles import sync_roles
        from scheduling import signals

        format_settings.install()  # dates and times in the center's convention, wherever they are written
        signals.connect()

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="scheduling.sync_roles")
