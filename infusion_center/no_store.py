"""`Cache-Control: no-store` on every response to a signed-in user, and on every 403 and 404.

Pages carry patient data; neither the browser's cache (a shared workstation, the back button after sign-out)
nor any proxy may keep them. Static files are served before this middleware and stay cacheable.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.status_code in (403, 404):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response
