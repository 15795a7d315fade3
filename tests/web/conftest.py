import pytest

from infusion_center import roles
from tests.web.helpers import chairs, open_every_day, staff


@pytest.fixture
def center(db):
    open_every_day()
    return chairs(3)


@pytest.fixture
def scheduler(db):
    return staff(roles.SCHEDULER, "sam")


@pytest.fixture
def nurse(db):
    return staff(roles.NURSE, "nora")


@pytest.fixture
def charge_nurse(db):
    return staff(roles.CHARGE_NURSE, "cora")


@pytest.fixture
def manager(db):
    return staff(roles.MANAGER, "max")


@pytest.fixture
def drug_admin(db):
    return staff(roles.DRUG_ADMIN, "dana")


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
