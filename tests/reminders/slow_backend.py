"""A mail backend for the worker-crash test: waits SLOW_MAIL_SECONDS, then writes the message to a file."""

import os
import time

from infusion_center.mail import MessageFileBackend


class SlowFileBackend(MessageFileBackend):
    def send_messages(self, email_messages) -> int:
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "0")))
        return super().send_messages(email_messages)
