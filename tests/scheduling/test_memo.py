"""The per-process copies slot search reads (drug catalogue; chairs, hours, staffing, closures) stay true.

A copy is kept and used only outside a transaction (autocommit, as slot search runs); a test runs inside its
own transaction, so `outside` stands in for autocommit and `inside` for a transaction of the app's."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import memo
from scheduling.catalogue import drug_specs
from scheduling.models import Closure, Drug, RegimenPhase
from scheduling.selectors.center import center_for_range

pytestmark = pytest.mark.django_db

DAY = datetime.date(2027, 3, 4)


@pytest.fixture
def outside(monkeypatch):
    def set_atomic(value: bool):
        monkeypatch.setattr(memo, "connection", SimpleNamespace(in_atomic_block=value))

    set_atomic(False)
    return set_atomic


def queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


def tysabri_minutes(specs):
    tysabri = Drug.objects.get(name="Tysabri")
    return specs[tysabri.pk].phases[-1].infusion_minutes


def test_the_catalogue_is_read_once_and_again_after_an_edit(outside):
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


def test_a_transaction_reads_fresh_rows_and_keeps_no_copy_of_them(outside):
    before = tysabri_minutes(drug_specs())
    outside(False)
    phase = RegimenPhase.objects.filter(drug__name="Tysabri").order_by("-order").first()
    outside(True)  # a transaction of the app's: an update that sends no signal, later rolled back
    RegimenPhase.objects.filter(pk=phase.pk).update(infusion_minutes=phase.infusion_minutes + 30)
    inside, count = queries(drug_specs)
    assert count > 0 and tysabri_minutes(inside) == before + 30
    RegimenPhase.objects.filter(pk=phase.pk).update(infusion_minutes=phase.infusion_minutes)  # "rolled back"
    outside(False)
    after, count = queries(drug_specs)
    assert count == 0 and tysabri_minutes(after) == before  # the copy from before; the transaction's never kept


def test_a_new_closure_is_in_the_next_center_read(outside):
    assert center_for_range(DAY, DAY).rules(DAY).center_closed_reason == ""
    _center, count = queries(lambda: center_for_range(DAY, DAY))
    assert count == 1  # only the bookings
    Closure.objects.create(starts_on=DAY, ends_on=DAY, reason="Staff training")
    assert center_for_range(DAY, DAY).rules(DAY).center_closed_reason == "Staff training"
