"""An email backend standing in for an SMTP server that is down until a given (simulated) time."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

DOWN_UNTIL = {"at": None}
DELIVERED: list = []


class OutageBackend(BaseEmailBackend):
    def _down(self) -> bool:
        return DOWN_UNTIL["at"] is not None and timezone.now() < DOWN_UNTIL["at"]

    def open(self):
        if self._down():
            raise ConnectionRefusedError(111, "Connection refused")
        return True

    def send_messages(self, messages):
        if self._down():
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        DELIVERED.extend(messages)
        return len(messages)
