import pytest

from infusion_center import roles
from tests.factories import opening_hours, staff
from tests.web.helpers import chairs


@pytest.fixture
def center(db):
    opening_hours()
    return chairs(3)


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def superuser_client(client, db):
    """A client signed in as a superuser (Django admin with every permission)."""
    user = staff(roles.MANAGER, "root", is_superuser=True)
    client.force_login(user)
    return client
