from django.apps import AppConfig


class RepliesConfig(AppConfig):
    """The patient's answers: confirm or cancel a visit, report how they are after it, take a freed chair time."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "replies"
    verbose_name = "Patient replies and waitlist"
