"""Django's session middleware, except that a lost database connection while saving the session does not turn an
answered request into "Bad Request".

Django saves a changed session after the view, and reports any failure to update it as "the session was
interrupted" (400). When the database restarts or fails over at that moment, the view's own work (a booking, a
visit step) is already committed; what the save would have kept is the session's last-activity time and a
flash message. The user gets the page the view answered, and the next request saves the session again.
A session deleted meanwhile (signed out in another tab) is still refused as Django refuses it.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


def _lost_connection(exc: BaseException) -> bool:
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError):
            return True
        seen = seen.__context__
    return False


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            if not _lost_connection(exc):
                raise
            logger.warning("The session of %s was not saved: the database connection was lost", request.path)
            return response
