from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DaylistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "daylist"
    verbose_name = "Day list"

    def ready(self) -> None:
        from infusion_center.roles import sync_roles

        # Roles hold this app's permissions too: sync again once they exist.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="daylist.sync_roles")
