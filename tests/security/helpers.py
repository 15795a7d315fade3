"""Production settings as the base settings compute them with DEBUG off, for override_settings."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from unittest import mock

BASE_SETTINGS = Path(__file__).resolve().parents[2] / "infusion_center" / "settings" / "base.py"

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
    "DJANGO_ALLOWED_HOSTS": "testserver,infusion.example",
}

# The settings the security layer depends on; everything else stays as in the test settings.
_KEYS_PREFIXES = ("SECURE_", "SESSION_", "CSRF_COOKIE_", "CONTENT_SECURITY_POLICY", "X_FRAME_OPTIONS", "MIDDLEWARE")


def production_settings() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECURE_SSL_REDIRECT", "DJANGO_HSTS_SECONDS"}}
    env.update(PRODUCTION_ENV)
    with mock.patch.dict(os.environ, env, clear=True):
        namespace = runpy.run_path(str(BASE_SETTINGS), run_name="production_settings")
    values = {k: v for k, v in namespace.items() if k.startswith(_KEYS_PREFIXES)}
    values["DEBUG"] = namespace["DEBUG"]
    return values
