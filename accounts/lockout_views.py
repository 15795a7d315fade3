"""Managers: see the sign-in lock-outs and lift one early (each lift is recorded)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import lockouts


@login_required
@permission_required("axes.view_accessattempt", raise_exception=True)
def lockout_list(request):
    context = {
        "attempts": lockouts.recent_failures(),
        "releases": lockouts.recent_releases(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "nav": "lockouts",
    }
    return render(request, "accounts/lockouts.html", context)


@login_required
@permission_required("axes.delete_accessattempt", raise_exception=True)
@require_POST
def lockout_clear(request, pk: int):
    try:
        release = lockouts.lockout_clear(attempt_id=pk, user=request.user, request=request)
    except lockouts.LockoutError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{release.username} can sign in again from {release.ip_address or 'that address'}.")
    return redirect("lockouts")
