"""Production responses carry HSTS, CSP and the other security headers; cookies are __Host-, Secure, HttpOnly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.security.helpers import PRODUCTION_ENV, production_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(settings):
    with override_settings(ROOT_URLCONF="tests.security.urls", **production_settings()):
        yield


def test_manage_check_deploy_has_no_warnings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="infusion_center.settings.base")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_are_hardened():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"


def test_plain_http_is_redirected_to_https(client, production):
    response = client.get("/_probe/messages/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_production_response_has_security_headers(client, production):
    response = client.get("/_probe/form/", secure=True)
    assert response.status_code == 200

    hsts = response["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    policy = {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
        if part
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]

    # The page's inline script carries the nonce that the header allows, and nothing else runs inline.
    nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode()).group(1)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]


def test_nonce_differs_per_response(client, production):
    first = client.get("/_probe/form/", secure=True)["Content-Security-Policy"]
    second = client.get("/_probe/form/", secure=True)["Content-Security-Policy"]
    assert first != second


def test_production_cookies_are_host_prefixed_secure_and_httponly(client, production):
    response = client.get("/_probe/form/", secure=True)
    for name in ("__Host-sessionid", "__Host-csrftoken"):
        cookie = response.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name
        assert cookie["path"] == "/", name  # __Host- cookies: path / and no domain
        assert cookie["domain"] == "", name
    assert "sessionid" not in response.cookies
    assert "csrftoken" not in response.cookies


def test_session_cookie_ends_with_the_browser(client, production):
    response = client.get("/_probe/form/", secure=True)
    assert response.cookies["__Host-sessionid"]["expires"] == ""
    assert response.cookies["__Host-sessionid"]["max-age"] == ""


# Templates: with style-src 'self' and script-src 'self' + nonce, markup may not carry inline styles,
# inline event handlers, htmx's eval-based hx-on, or inline scripts without the request's nonce.
_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_FORBIDDEN = [
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE), "an inline event handler (on...=)"),
    (re.compile(r"\shx-on", re.IGNORECASE), "hx-on (needs eval)"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


# E-mail bodies are not served to browsers (and mail clients need inline styles).
NOT_WEB_PAGES = {"emails", "email"}


def project_templates() -> list[Path]:
    folders = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    for app in ("accounts", "patients", "scheduling"):
        folders.append(ROOT / app / "templates")
    return sorted(
        p
        for folder in folders
        if folder.exists()
        for p in folder.rglob("*.html")
        if not NOT_WEB_PAGES.intersection(p.relative_to(folder).parts)
    )


def csp_violations(text: str) -> list[str]:
    problems = [label for pattern, label in _FORBIDDEN if pattern.search(text)]
    for match in _SCRIPT.finditer(text):
        attributes = match.group(1)
        if "src=" not in attributes and 'nonce="{{ CSP_NONCE }}"' not in attributes:
            problems.append('an inline <script> without nonce="{{ CSP_NONCE }}"')
    return problems


def test_csp_template_scan_catches_violations():
    assert csp_violations('<div style="color:red">') == ["a style= attribute"]
    assert csp_violations("<script>alert(1)</script>") == ['an inline <script> without nonce="{{ CSP_NONCE }}"']
    assert csp_violations('<button onclick="go()">') == ["an inline event handler (on...=)"]
    assert csp_violations('<script nonce="{{ CSP_NONCE }}">ok()</script><script src="/static/a.js"></script>') == []


def test_templates_need_no_unsafe_inline():
    templates = project_templates()
    assert templates, "no templates found"
    problems = {str(p.relative_to(ROOT)): csp_violations(p.read_text()) for p in templates}
    assert {path: found for path, found in problems.items() if found} == {}


@pytest.mark.urls("tests.security.urls")
def test_pages_give_htmx_the_csrf_token_without_the_cookie(client, manager):
    # The CSRF cookie is HttpOnly, so htmx gets the token from the page: hx-headers on <body>.
    client.force_login(manager)
    response = client.get("/audit/")
    token = response.context["csrf_token"]
    body = re.search(r"<body[^>]*>", response.content.decode()).group(0)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in body
