"""Settings come from the environment and fail loudly, naming the variable, on a bad value."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from infusion_center.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parents[2]


def test_env_bool_accepts_the_usual_spellings(monkeypatch):
    for raw, expected in [("true", True), ("Yes", True), ("1", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("SOME_FLAG", raw)
        assert env_bool("SOME_FLAG", not expected) is expected
    monkeypatch.delenv("SOME_FLAG")
    assert env_bool("SOME_FLAG", True) is True


def test_a_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='maybe' is not a boolean"):
        env_bool("DJANGO_DEBUG", False)


def test_a_bad_or_out_of_range_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT='twenty-five' is not a whole number"):
        env_int("EMAIL_PORT", 25)
    monkeypatch.setenv("EMAIL_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT=70000 is above the maximum"):
        env_int("EMAIL_PORT", 25, maximum=65535)


def test_a_missing_required_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("DJANGO_SECRET_KEY_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is required"):
        env_str("DJANGO_SECRET_KEY")


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("DJANGO_SECRET_KEY_FILE", str(secret))
    assert env_str("DJANGO_SECRET_KEY") == "from-a-file"
    monkeypatch.setenv("DJANGO_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY_FILE="):
        env_str("DJANGO_SECRET_KEY")


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " a.example , b.example,,")
    assert env_list("DJANGO_ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_postgres_database_url():
    db = parse_database_url("postgres://app:s%40cret@db.internal:6543/infusion", base_dir=BASE_DIR)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "infusion",
        "app",
        "s@cret",
        "db.internal",
        "6543",
    )
    assert parse_database_url("postgresql://postgres@127.0.0.1/x", base_dir=BASE_DIR)["PORT"] == ""


def test_sqlite_database_url_relative_and_absolute(tmp_path):
    relative = parse_database_url("sqlite:///var/app.sqlite3", base_dir=tmp_path)
    assert relative["ENGINE"] == "django.db.backends.sqlite3"
    assert relative["NAME"] == str(tmp_path / "var" / "app.sqlite3")
    absolute = parse_database_url(f"sqlite:///{tmp_path}/abs.sqlite3", base_dir=BASE_DIR)
    assert absolute["NAME"] == f"{tmp_path}/abs.sqlite3"


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://root@localhost/app", "is not supported"),
        ("postgres://app@localhost", "names no database"),
        ("postgres://app@localhost:port/app", "bad port"),
        ("sqlite://", "use sqlite:///path"),
    ],
)
def test_bad_database_urls_are_refused_clearly(url, message):
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        parse_database_url(url, base_dir=BASE_DIR)
    assert "DATABASE_URL" in str(raised.value)


def _load_settings(tmp_path, **env):
    """Imports the real settings in a fresh interpreter with the given environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CENTER_", "DATABASE_URL"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "infusion_center.settings.base", "VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.TIME_ZONE)"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_time_zone_stops_start_up_with_the_variable_named(tmp_path):
    result = _load_settings(tmp_path, DJANGO_DEBUG="true", CENTER_TIME_ZONE="Mars/Olympus_Mons")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CENTER_TIME_ZONE='Mars/Olympus_Mons' is not a known time zone" in result.stderr


def test_production_without_a_secret_key_stops_start_up(tmp_path):
    result = _load_settings(tmp_path, DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_good_time_zone_is_used(tmp_path):
    result = _load_settings(tmp_path, DJANGO_DEBUG="true", CENTER_TIME_ZONE="Europe/Dublin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Europe/Dublin"


def test_readme_and_env_example_document_every_variable_the_settings_read():
    source = (BASE_DIR / "infusion_center" / "settings" / "base.py").read_text()
    variables = set(re.findall(r'env_(?:str|bool|int|list|networks)\(\s*"([A-Z0-9_]+)"', source))
    assert len(variables) > 20
    readme = (BASE_DIR / "README.md").read_text()
    example = (BASE_DIR / ".env.example").read_text()
    assert {v for v in variables if f"`{v}`" not in readme} == set()
    assert {v for v in variables if not re.search(rf"^{v}=", example, re.MULTILINE)} == set()


def test_manage_py_runs_developer_commands_with_no_environment(tmp_path):
    """A bare `manage.py makemigrations` works on a fresh checkout; the servers' own settings stay strict."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CENTER_", "DATABASE_URL"))}
    clean["VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # gunicorn and Celery load the base settings: without a secret key they still refuse to start.
    assert "DJANGO_SECRET_KEY is required" in _load_settings(tmp_path).stderr
