import pytest

from infusion_center import roles
from tests.web.helpers import chairs, open_every_day, staff


@pytest.fixture
def center(db):
    open_every_day()
    return chairs(3)


@pytest.fixture
def outsider(db):
    """Signed in, but with no role at all."""
    return staff(None, "otto")


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
