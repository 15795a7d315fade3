from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from django.core import checks

        from accounts import signals  # noqa: F401  (connects the receivers)
        from infusion_center.checks import check_no_demo_accounts

        checks.register(check_no_demo_accounts, checks.Tags.security, checks.Tags.database)
