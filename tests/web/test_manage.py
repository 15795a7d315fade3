"""Manager pages: chairs, opening hours, closures and nurse staffing."""

import pytest
from django.urls import reverse

from scheduling.models import Chair, Closure, NurseStaffing, OpeningHours

pytestmark = pytest.mark.django_db


def test_manager_adds_and_edits_a_chair(client, manager):
    client.force_login(manager)
    assert client.get(reverse("scheduling:chair-list")).status_code == 200
    response = client.post(reverse("scheduling:chair-create"), {"name": "Chair 9", "position": 9, "is_active": "on"})
    assert response.status_code == 302
    chair = Chair.objects.get(name="Chair 9")
    response = client.post(reverse("scheduling:chair-edit", args=[chair.pk]), {"name": "Chair 9b", "position": 2})
    chair.refresh_from_db()
    assert chair.name == "Chair 9b" and not chair.is_active


def test_opening_hours_must_close_after_opening(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("scheduling:hours-create"),
        {
            "weekday": 0,
            "opens_at": "18:00",
            "closes_at": "08:00",
            "nurses_on_duty": 3,
            "setup_minutes": 15,
            "patients_per_nurse": 4,
        },
    )
    assert response.status_code == 400 and "Closing time must be after opening time" in response.content.decode()
    assert not OpeningHours.objects.exists()


def test_closure_and_staffing(client, manager, center):
    client.force_login(manager)
    response = client.post(
        reverse("scheduling:closure-create"),
        {"chair": center[0].pk, "starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Holiday"},
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert closure.history.first().history_user == manager
    response = client.post(
        reverse("scheduling:closure-create"), {"starts_on": "2026-12-24", "ends_on": "2026-12-20", "reason": "x"}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("scheduling:staffing-create"),
        {"date": "2026-12-23", "nurses_on_duty": 2, "setup_minutes": 15, "patients_per_nurse": 4},
    )
    assert response.status_code == 302 and NurseStaffing.objects.get().nurses_on_duty == 2
    html = client.get(reverse("scheduling:closure-list")).content.decode()
    assert "Holiday" in html


@pytest.mark.parametrize("kind", ["chair", "hours", "closure", "staffing"])
def test_schedulers_and_nurses_cannot_change_the_center(client, scheduler, nurse, kind):
    for user in (scheduler, nurse):
        client.force_login(user)
        assert client.get(reverse(f"scheduling:{kind}-create")).status_code == 403
        assert client.post(reverse(f"scheduling:{kind}-create"), {}).status_code == 403
