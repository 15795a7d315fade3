import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_health_check_answers_ok_to_anyone_and_is_never_cached():
    response = Client().get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_health_check_refuses_writes():
    assert Client().post("/healthz/").status_code == 405
