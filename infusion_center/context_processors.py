from django.conf import settings
from django.core.cache import cache

ROLE_NAMES_SECONDS = 60  # display only: a changed role shows in the navigation within a minute


def center(request):
    """The center's name, and the signed-in user's role names for the top navigation."""
    context = {"center_name": settings.CENTER_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Display only: views check permissions, never group names.
        context["user_roles"] = _roles_of(user)
    return context


def _roles_of(user) -> str:
    """The user's group names, kept by each process (the default cache) for a minute: every page shows them, and
    reading them is a query of its own on every request."""
    return cache.get_or_set(
        f"user-roles:{user.pk}",
        lambda: ", ".join(sorted(group.name for group in user.groups.all())),
        ROLE_NAMES_SECONDS,
    )
