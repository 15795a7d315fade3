from django.apps import AppConfig


class PatientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from patients.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="patients-search-functions")
