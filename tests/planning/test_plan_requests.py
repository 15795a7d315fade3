"""`manage.py plan_requests`: the front desk simulated on a file, with a known answer, touching no table."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scheduling.models import Appointment

CENTER = {
    "timezone": "America/New_York",
    "start_date": "2027-01-04",  # a Monday
    "days": 5,
    "chairs": 1,
    "nurses": 1,
    "setup_minutes": 15,
    "patients_per_nurse": 1,
    "opens": "07:00",
    "closes": "19:00",
    "weekdays_open": [0, 1, 2, 3, 4],
}


def request(rid, arrives, earliest, target, latest, infusion, premed=0, observation=0, course_days=1):
    return {
        "id": rid,
        "arrives_on": arrives,
        "earliest": earliest,
        "target": target,
        "latest": latest,
        "premed_minutes": premed,
        "infusion_minutes": infusion,
        "observation_minutes": observation,
        "course_days": course_days,
    }


def run(tmp_path, document, *extra):
    source, target = tmp_path / "requests.json", tmp_path / "schedule.json"
    source.write_text(json.dumps(document))
    call_command("plan_requests", "--in", str(source), "--out", str(target), *extra, stdout=StringIO())
    return json.loads(target.read_text())


# A flexible dose comes first, targeted on Monday; a long dose that can only be given on Monday comes after it.
# Target-first would give Monday morning to the first and leave the second nowhere to go on one chair.
KNOWN = {
    "center": CENTER,
    "requests": [
        request("OCR-1", "2027-01-04", "2027-01-04", "2027-01-04", "2027-01-06", 300, premed=30, observation=30),
        request("TYS-2", "2027-01-04", "2027-01-04", "2027-01-04", "2027-01-04", 540, observation=60),
        request("IVMP-3", "2027-01-04", "2027-01-06", "2027-01-06", "2027-01-07", 60, observation=30, course_days=2),
    ],
}


@pytest.mark.django_db
def test_known_answer_and_the_database_is_left_alone(tmp_path, django_assert_num_queries):
    before = Appointment.objects.count()
    with django_assert_num_queries(0):
        schedule = run(tmp_path, KNOWN)
    assert schedule == {
        "placements": [
            {"id": "OCR-1", "day": "2027-01-05", "chair": 1, "premed_start": "07:00"},
            {"id": "TYS-2", "day": "2027-01-04", "chair": 1, "premed_start": "07:00"},
            {"id": "IVMP-3", "day": "2027-01-06", "chair": 1, "premed_start": "07:00"},
            {"id": "IVMP-3", "day": "2027-01-07", "chair": 1, "premed_start": "07:00"},
        ],
        "unplaced": [],
    }
    assert Appointment.objects.count() == before


@pytest.mark.django_db
def test_reoptimise_keeps_every_rule_and_lowers_the_peak(tmp_path):
    # three 6-hour doses all targeted on Wednesday with windows Monday-Friday, two chairs, nurses for two
    center = dict(CENTER, chairs=2, nurses=2, patients_per_nurse=1)
    doses = [request(f"OCR-{n}", "2027-01-04", "2027-01-04", "2027-01-06", "2027-01-08", 360) for n in range(4)]
    schedule = run(tmp_path, {"center": center, "requests": doses}, "--reoptimise", "--time-limit", "10")
    assert schedule["unplaced"] == []
    by_day = {}
    for row in schedule["placements"]:
        by_day.setdefault(row["day"], []).append(row)
    # the lowest peak is 1: two doses on a day, one after the other, or one per day
    for rows in by_day.values():
        starts = sorted(int(r["premed_start"][:2]) * 60 + int(r["premed_start"][3:]) for r in rows)
        assert all(b - a >= 360 for a, b in zip(starts, starts[1:], strict=False))


def test_an_unplaceable_request_is_listed(tmp_path):
    too_long = request("LONG-1", "2027-01-04", "2027-01-04", "2027-01-04", "2027-01-05", 800)
    assert run(tmp_path, {"center": CENTER, "requests": [too_long]}) == {"placements": [], "unplaced": ["LONG-1"]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"requests": []}, 'needs a "center" object'),
        ({"center": dict(CENTER, timezone="Mars/Olympus"), "requests": []}, "unknown timezone"),
        (
            {"center": CENTER, "requests": [request("A", "x", "2027-01-04", "2027-01-04", "2027-01-04", 60)]},
            "not a date",
        ),
        (
            {"center": CENTER, "requests": [request("A", "2027-01-04", "2027-01-05", "2027-01-04", "2027-01-04", 60)]},
            "earliest <= target <= latest",
        ),
    ],
)
def test_bad_input_is_refused_in_words(tmp_path, document, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, document)
