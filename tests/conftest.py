import importlib

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only when DATABASE_URL points at PostgreSQL."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def restore_migrated_data() -> None:
    """Put back what migrate leaves in the database: the seeded drug and check catalogue and the role groups."""
    from django.apps import apps

    from infusion_center.roles import sync_roles

    importlib.import_module("patients.migrations.0020_check_catalogue").seed(apps, None)
    importlib.import_module("scheduling.migrations.0003_seed_drug_catalogue").seed(apps, None)
    importlib.import_module("scheduling.migrations.0020_check_requirements").seed(apps, None)
    importlib.import_module("replies.catalogue").seed(apps, None)
    importlib.import_module("scheduling.migrations.0050_drug_authorisation_and_pharmacy_flags").seed_flags(apps, None)
    importlib.import_module("scheduling.migrations.0011_drug_ingredients").set_ingredients(apps, None)
    sync_roles()


@pytest.fixture(autouse=True)
def _migrated_data_in_transactional_tests(request):
    """Transactional tests (threads, workers, the live server) end with a flush that empties every table,
    the seeded catalogue included; each one starts from the data a migrated database has. (Not serialized_rollback:
    it inserts its snapshot over the rows the previous test's flush re-creates through post_migrate, the role
    groups among them, and fails on a duplicate group name.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        restore_migrated_data()


def _uses_database(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _empty_caches(request, _migrated_data_in_transactional_tests):
    """Each test starts with empty caches: rolled-back tests can leave history ids that the next test reuses.
    Emptied after the migrated data is put back: re-seeding the catalogue sends signals whose handlers read it
    (and build the per-process copies) before its last step sets the ingredients with a bulk update. A cache kept
    in the database (the board's) is emptied only for a test that may use the database: no other can fill it."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    from scheduling import memo
    from scheduling.board import cache as board_cache
    from scheduling.selectors import planning

    uses_database = _uses_database(request)
    if uses_database and "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")  # the board's cache is emptied inside the test's transaction
    for cache in caches.all():
        if uses_database or not isinstance(cache, DatabaseCache):
            cache.clear()
    # and the per-process copies (catalogue, center rules, planning ceiling): a flush between transactional tests
    # sends no signal, so a copy built before it would otherwise outlive the rows it was built from
    memo._copies.clear()
    planning._ceiling_memo.clear()
    planning._summary_memo.clear()
    board_cache.forget_process_copies()


@pytest.fixture
def drugs_outside_the_pharmacy(db):
    """The catalogue's drugs started without a pharmacy preparation: for tests of other rules of the visit (the
    pharmacy's own gate is tested in tests/web/test_pharmacy.py)."""
    from scheduling.models import Drug

    Drug.objects.update(pharmacy_prepared=False)


# One set of staff personas for every test directory (a directory may add its own).
@pytest.fixture
def scheduler(db):
    return _staff("SCHEDULER", "sam")


@pytest.fixture
def nurse(db):
    return _staff("NURSE", "nora")


@pytest.fixture
def charge_nurse(db):
    return _staff("CHARGE_NURSE", "cora")


@pytest.fixture
def manager(db):
    return _staff("MANAGER", "max")


@pytest.fixture
def drug_admin(db):
    return _staff("DRUG_ADMIN", "dana")


@pytest.fixture
def pharmacist(db):
    return _staff("PHARMACY", "phil")


@pytest.fixture
def outsider(db):
    """Signed in, but with no role at all."""
    return _staff(None, "otto")


def _staff(role_name, username, **extra):
    from infusion_center import roles  # imported once Django is set up
    from tests.factories import staff

    return staff(getattr(roles, role_name) if role_name else None, username, **extra)


@pytest.fixture
def midday():
    """For a test whose visit runs "now" and reaches hours back or ahead ("premedication an hour ago", a visit
    that started ten hours ago): the clock at 13:00 today in the center's zone, ticking. Run at 01:30 local time,
    ten hours ago is yesterday's visit, which no one can check in or discharge today."""
    import time_machine

    from tests.clock import local

    with time_machine.travel(local(0, 13), tick=True):
        yield
