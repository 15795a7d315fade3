from django.apps import AppConfig


class AuthorisationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "authorisations"
    verbose_name = "Insurance authorisations"
