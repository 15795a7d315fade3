import threading
import time

from django.conf import settings

ROLE_NAMES_SECONDS = 60  # display only: a changed role shows in the navigation within a minute

_role_names: dict[int, tuple[float, str]] = {}
_role_names_lock = threading.Lock()
_clock = time.monotonic


def center(request):
    """The center's name, and the signed-in user's role names for the top navigation."""
    context = {"center_name": settings.CENTER_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Display only: views check permissions, never group names.
        context["user_roles"] = _roles_of(user)
    return context


def _roles_of(user) -> str:
    """The user's group names, kept by each process for a minute: every page shows them, and reading them is a
    query of its own on every request."""
    now = _clock()
    kept = _role_names.get(user.pk)
    if kept is not None and kept[0] > now:
        return kept[1]
    names = ", ".join(sorted(group.name for group in user.groups.all()))
    with _role_names_lock:
        if len(_role_names) > 10_000:  # bounded: a process serves a center's staff, not a city
            _role_names.clear()
        _role_names[user.pk] = (now + ROLE_NAMES_SECONDS, names)
    return names
