"""Each registered client gets at most the scopes the manager gave it."""

from __future__ import annotations

from oauth2_provider.scopes import SettingsScopes


class ClientScopes(SettingsScopes):
    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = super().get_available_scopes(application, request, *args, **kwargs)
        client = getattr(application, "fhir_client", None) if application is not None else None
        if client is None:
            return []
        return [s for s in allowed if s in client.scopes]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)
