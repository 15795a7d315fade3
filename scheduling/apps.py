from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from infusion_center.roles import sync_roles
        from scheduling import signals

        signals.connect()

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="scheduling.sync_roles")
