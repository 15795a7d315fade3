"""Error pages: a database outage is a 503 that says so; anything else is the plain 500 page."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

DATABASE_UNAVAILABLE_RETRY_SECONDS = 10


def database_unavailable(exc: BaseException | None) -> bool:
    """True when the request failed because the database could not be reached or dropped the connection."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: rendered without a request context, so that it needs neither the database nor a session."""
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_UNAVAILABLE_RETRY_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
