"""The per-process copies slot search reads (drug catalogue; chairs, hours, staffing, closures) stay true."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling.catalogue import drug_specs
from scheduling.models import Closure, Drug, RegimenPhase
from scheduling.selectors.center import center_for_range

# one test: a transactional one (the copies are kept only outside transactions) costs a flush and a re-seed
pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.date(2027, 3, 4)


def queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


def tysabri_minutes(specs):
    tysabri = Drug.objects.get(name="Tysabri")
    return specs[tysabri.pk].phases[-1].infusion_minutes


def test_copies_are_read_once_dropped_on_every_edit_and_never_taken_from_a_transaction():
    first, count = queries(drug_specs)
    assert count > 0
    again, count = queries(drug_specs)
    assert count == 0 and again == first
    phase = RegimenPhase.objects.filter(drug__name="Tysabri").order_by("-order").first()
    phase.infusion_minutes += 15
    phase.save()
    edited, count = queries(drug_specs)
    assert count > 0
    assert tysabri_minutes(edited) == tysabri_minutes(first) + 15

    # a transaction reads fresh rows and keeps no copy of them
    before = phase.infusion_minutes
    try:
        with transaction.atomic():
            RegimenPhase.objects.filter(pk=phase.pk).update(infusion_minutes=before + 30)  # sends no signal
            inside, count = queries(drug_specs)
            assert count > 0 and tysabri_minutes(inside) == before + 30
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    after, count = queries(drug_specs)
    assert tysabri_minutes(after) == before  # the rolled-back rows were never kept

    # the center's rules: one query (the bookings) while the copy is current, a new closure seen at once
    assert center_for_range(DAY, DAY).rules(DAY).center_closed_reason == ""
    _center, count = queries(lambda: center_for_range(DAY, DAY))
    assert count == 1  # only the bookings
    Closure.objects.create(starts_on=DAY, ends_on=DAY, reason="Staff training")
    assert center_for_range(DAY, DAY).rules(DAY).center_closed_reason == "Staff training"
