"""Signed, expiring links in patient emails (no login).

A token carries a purpose and a random reference - the appointment's or the offer's UUID, never a patient or
row id - signed with the site's secret and a timestamp (django.core.signing), so it can be neither forged nor
altered, and it stops working after its maximum age. What a link may still do also depends on the state it
finds (a visit that has started, an offer already taken), checked by the services on every use.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "replies.patient-link"
VISIT = "visit"  # confirm / cancel / ask for another time
AFTER = "after"  # "I'm fine" / "I have symptoms"
OFFER = "offer"  # a waitlist offer
PURPOSES = (VISIT, AFTER, OFFER)


@dataclass(frozen=True)
class LinkRef:
    purpose: str
    uid: uuid.UUID


class LinkError(Exception):
    """Why a link cannot be used: 'expired' or 'invalid' (forged, damaged, or for another purpose)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def max_age(purpose: str) -> datetime.timedelta:
    if purpose == AFTER:
        return datetime.timedelta(days=settings.AFTER_VISIT_LINK_DAYS)
    if purpose == OFFER:
        return datetime.timedelta(hours=settings.WAITLIST_OFFER_HOURS)
    return datetime.timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS)


def make_token(purpose: str, uid: uuid.UUID) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose {purpose!r}.")
    return signing.dumps({"k": purpose, "u": uid.hex}, salt=SALT)


def read_token(token: str, purpose: str) -> LinkRef:
    """The reference a token was made for; LinkError('expired') or LinkError('invalid') otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age(purpose))
    except signing.SignatureExpired as exc:
        raise LinkError("expired") from exc
    except signing.BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or data.get("k") != purpose or not isinstance(data.get("u"), str):
        raise LinkError("invalid")
    try:
        return LinkRef(purpose, uuid.UUID(hex=data["u"]))
    except ValueError as exc:
        raise LinkError("invalid") from exc


def absolute(path: str) -> str:
    return f"{settings.CENTER_SITE_URL}{path}"


def visit_url(appointment_uid: uuid.UUID, action: str = "") -> str:
    """The visit page ('' = confirm), or its cancel / another-time page."""
    name = {"": "replies:patient-link-visit", "cancel": "replies:patient-link-cancel"}.get(
        action, "replies:patient-link-another-time"
    )
    return absolute(reverse(name, args=[make_token(VISIT, appointment_uid)]))


def after_visit_url(appointment_uid: uuid.UUID, answer: str) -> str:
    name = "replies:patient-link-fine" if answer == "fine" else "replies:patient-link-symptoms"
    return absolute(reverse(name, args=[make_token(AFTER, appointment_uid)]))


def offer_url(offer_uid: uuid.UUID) -> str:
    return absolute(reverse("replies:patient-link-offer", args=[make_token(OFFER, offer_uid)]))
