"""Body surface area (Mosteller) and screening validity."""

import datetime
from decimal import Decimal

from patients.models import Patient, Screening, body_surface_area


def test_mosteller_body_surface_area():
    # sqrt(170 x 68 / 3600) = 1.7920...
    assert body_surface_area(Decimal("170"), Decimal("68")) == Decimal("1.79")
    assert body_surface_area(180, 90) == Decimal("2.12")
    assert body_surface_area(None, 70) is None
    assert body_surface_area(170, None) is None


def test_patient_body_surface_area_uses_height_and_weight():
    patient = Patient(height_cm=Decimal("160.0"), weight_kg=Decimal("55.0"))
    assert patient.body_surface_area == Decimal("1.56")
    assert Patient(height_cm=Decimal("160.0")).body_surface_area is None


def test_screening_valid_until_counts_days_from_when_it_was_taken():
    screening = Screening(kind_id="hep_b", taken_on=datetime.date(2026, 1, 10), valid_days=30, result="negative")
    assert screening.valid_until == datetime.date(2026, 2, 9)


def test_screening_is_valid_from_the_day_taken_through_its_last_day():
    screening = Screening(kind_id="infection", taken_on=datetime.date(2026, 3, 1), valid_days=3, result="none")
    assert not screening.is_valid_on(datetime.date(2026, 2, 28))
    assert screening.is_valid_on(datetime.date(2026, 3, 1))
    assert screening.is_valid_on(datetime.date(2026, 3, 4))
    assert not screening.is_valid_on(datetime.date(2026, 3, 5))
