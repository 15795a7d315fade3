from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuthorisationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "authorisations"
    verbose_name = "Insurance authorisations"

    def ready(self) -> None:
        from infusion_center.roles import sync_roles

        # Roles hold this app's permissions too: sync again once they exist.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="authorisations.sync_roles")
