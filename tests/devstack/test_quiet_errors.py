"""Expected 403 and 404 are one log line each, and development shows the app's own 404 page."""

import logging
import sys

import pytest

from infusion_center.quiet_errors import NoAccessLineForExpectedErrors, OneLineForExpectedErrors

pytestmark = pytest.mark.django_db


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_missing_page_is_one_log_line_without_a_traceback(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    records = _request_records(caplog)
    assert [r.getMessage() for r in records] == ["Not Found: /no-such-page/"]
    assert records[0].exc_info is None and "Traceback" not in caplog.text


def test_a_refused_page_is_one_log_line_without_a_traceback(client, caplog, django_user_model):
    user = django_user_model.objects.create_user("no-role", password="a-long-password-123")
    client.force_login(user)
    with caplog.at_level(logging.INFO):
        response = client.get("/board/")
    assert response.status_code == 403
    records = _request_records(caplog)
    assert len(records) == 1 and records[0].getMessage().startswith("Forbidden")
    assert records[0].exc_info is None and "Traceback" not in caplog.text


@pytest.mark.parametrize(("status", "traceback_kept"), [(400, True), (403, False), (404, False), (500, True)])
def test_only_a_403_or_404_loses_its_traceback(status, traceback_kept):
    try:
        raise RuntimeError("the cause")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), sys.exc_info())
    record.status_code = status
    assert OneLineForExpectedErrors().filter(record) is True
    assert (record.exc_info is not None) is traceback_kept


@pytest.mark.parametrize(("status", "kept"), [(200, True), (302, True), (403, False), (404, False), (500, True)])
def test_the_development_server_leaves_out_its_access_line_for_a_403_or_404_only(status, kept):
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"GET / HTTP/1.1" %s', (status,), None)
    record.status_code = status
    assert NoAccessLineForExpectedErrors().filter(record) is kept


def test_development_shows_the_apps_404_page_and_djangos_page_on_request(client, settings):
    settings.DEBUG = True
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert "404.html" in [t.name for t in page.templates]
    assert "Nothing is at this address" in page.content.decode()
    debug = client.get("/no-such-page/?debug=1")
    assert debug.status_code == 404
    assert "URLconf" in debug.content.decode() and "Nothing is at this address" not in debug.content.decode()


def test_a_view_that_answers_404_itself_keeps_its_page_in_development(client, settings, scheduler):
    settings.DEBUG = True
    client.force_login(scheduler)
    response = client.get("/patients/999999/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
