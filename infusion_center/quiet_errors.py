"""Expected client errors, said once: a 403 or 404 is one log line, and development shows the app's 404 page.

A refused or missing page is part of normal use (an old bookmark, a role without the permission): it needs one
line in the log, not a traceback, and not both Django's request warning and the development server's access line.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.views.defaults import page_not_found

EXPECTED_STATUSES = {403, 404}


class OneLineForExpectedErrors(logging.Filter):
    """On django.request: a 403 or 404 keeps its one-line message ("Forbidden (Permission denied): /x") and loses
    the traceback of the exception that produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in EXPECTED_STATUSES:
            record.exc_info = None
            record.exc_text = None
        return True


class NoAccessLineForExpectedErrors(logging.Filter):
    """On django.server (the development server's access log): a 403 or 404 is already said by django.request."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in EXPECTED_STATUSES


DEBUG_PAGE_MARKER = b"<code>DEBUG = True</code>"


class DevelopmentNotFoundPageMiddleware:
    """With DEBUG on, a missing page shows the app's 404 page, as in production; `?debug` shows Django's page
    (the URL patterns tried) instead. Does nothing with DEBUG off, where Django already renders 404.html."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and "debug" not in request.GET
            and DEBUG_PAGE_MARKER in getattr(response, "content", b"")
        ):
            return page_not_found(request, exception=None)
        return response
