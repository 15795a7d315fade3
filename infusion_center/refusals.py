"""The one base of the errors a service raises to refuse a request: its message is written for the person who
asked, and the views show it as it is."""

from __future__ import annotations


class RefusalError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
