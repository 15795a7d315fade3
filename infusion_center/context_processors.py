from django.conf import settings


def center(request):
    """The center's name, and the signed-in user's role names for the top navigation."""
    context = {"center_name": settings.CENTER_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Display only: views check permissions, never group names.
        context["user_roles"] = ", ".join(sorted(group.name for group in user.groups.all()))
    return context
