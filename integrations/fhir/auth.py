"""OAuth 2.0 bearer tokens (django-oauth-toolkit, client credentials) with a system/<Resource>.read scope each."""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_provider.oauth2_backends import get_oauthlib_core


@dataclass(frozen=True)
class FhirCaller:
    client_name: str
    scopes: frozenset[str]


def fhir_caller(request) -> FhirCaller | None:
    """The registered client behind the request's bearer token, or None (no token, unknown, expired, revoked)."""
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    if not valid:
        return None
    token = oauth_request.access_token
    name = token.application.name if token.application_id else "unknown client"
    return FhirCaller(name, frozenset(token.scope.split()))
