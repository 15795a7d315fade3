"""Readiness problems and warnings from the drugs' requirements and the checks' typed results (no database)."""

import datetime
from decimal import Decimal

from scheduling.engine.readiness import ScreeningResult, evaluate, judge
from tests.engine.catalogue import check, drug

D = datetime.date
TODAY = D(2026, 12, 1)


def screening(kind, taken, result="negative", valid=365, value=None):
    return ScreeningResult(kind, taken, result, taken + datetime.timedelta(valid), value)


def run(name, on=TODAY, first=True, reproductive=False, screenings=(), **kw):
    return evaluate(
        drug(name),
        on_date=on,
        today=TODAY,
        first_dose=first,
        reproductive_potential=reproductive,
        screenings=screenings,
        **kw,
    )


INFECTION_OK = screening("infection", TODAY, "none", valid=3)
# Everything an anti-CD20 first dose asks for, cleared.
CD20_FIRST = [
    INFECTION_OK,
    screening("hep_b", TODAY - datetime.timedelta(30)),
    screening("immunoglobulins", TODAY - datetime.timedelta(30), "normal"),
    screening("liver_tests", TODAY - datetime.timedelta(10), "normal", valid=90),
    screening("vaccinations", TODAY - datetime.timedelta(30), "complete"),
]


def test_hepatitis_b_before_the_first_anti_cd20_dose_only():
    r = run("Ocrevus (IV)", screenings=[s for s in CD20_FIRST if s.kind != "hep_b"])
    assert r.status == "blocked"
    assert r.blocking == (
        "Hepatitis B screening (HBsAg, anti-HBc) is needed before the first dose: none is on record.",
    )
    assert run("Ocrevus (IV)", first=False, screenings=[INFECTION_OK]).status == "ready"
    assert run("Ocrevus (IV)", screenings=CD20_FIRST).status == "ready"


def test_a_positive_hepatitis_b_result_is_a_hard_stop():
    r = run("Briumvi", screenings=[INFECTION_OK, screening("hep_b", TODAY, "positive")])
    assert r.hard_stops == r.blocking[:1]
    assert r.blocking[0] == (
        "Hepatitis B screening (HBsAg, anti-HBc): Positive (taken 1 Dec 2026) — active HBV: anti-CD20 therapy "
        "must not be given. Hard stop: nobody can override it."
    )


def test_an_indeterminate_hepatitis_b_result_blocks_but_is_not_a_hard_stop():
    r = run("Ocrevus (IV)", screenings=[INFECTION_OK, screening("hep_b", TODAY, "indeterminate")])
    assert r.status == "blocked" and r.hard_stops == ()
    assert "Indeterminate" in r.blocking[0]


def test_an_answer_that_is_not_of_the_check_never_clears_it():
    """The old shared list let 'REMS: Positive' clear the Tysabri block and 'Hepatitis B: Abnormal' pass."""
    jcv = screening("jcv", TODAY, "negative", valid=182)
    rems = run("Tysabri", screenings=[jcv, screening("rems", TODAY, "positive", valid=182)])
    assert rems.status == "blocked"
    assert "'positive' is not an answer of this check" in rems.blocking[0]
    hep_b = run("Ocrevus (IV)", screenings=[*CD20_FIRST[:1], screening("hep_b", TODAY, "abnormal")])
    assert hep_b.status == "blocked" and "'abnormal' is not an answer" in hep_b.blocking[0]


def test_a_not_clearing_answer_of_a_warning_requirement_warns():
    """Mitoxantrone's full blood count warns: an abnormal result is a warning, never silence."""
    r = judge(check("cbc"), screening("cbc", TODAY, "abnormal", valid=31))
    assert not r.clears and "Abnormal" in r.sentence


def test_an_every_dose_check_not_done_yet_for_a_future_date_is_a_pending_warning():
    future = TODAY + datetime.timedelta(20)
    r = run("Ocrevus (IV)", on=future, first=False)
    assert r.status == "warnings" and r.blocking == ()
    assert r.pending == r.warnings == r.blocks_start
    assert "Active-infection check still to be done" in r.warnings[0]
    today = run("Ocrevus (IV)", first=False)
    assert today.status == "blocked" and "Active-infection check is needed before every dose" in today.blocking[0]


def test_an_active_infection_blocks_with_its_advice():
    r = run("Ocrevus (IV)", first=False, screenings=[screening("infection", TODAY, "present", valid=3)])
    assert r.blocking == (
        "Active-infection check: Active infection (taken 1 Dec 2026) — delay the infusion until it has resolved.",
    )
    assert r.hard_stops == ()


def test_natalizumab_needs_jcv_and_a_current_authorisation():
    jcv = screening("jcv", TODAY, "negative", valid=182)
    asked = screening("preinfusion_questions", TODAY, "no_concerns", valid=1)
    mri = screening("mri", TODAY, "no_concerns")
    r = run("Tysabri", screenings=[jcv, asked, mri])
    assert r.blocking == ("Safety programme (REMS) authorisation is needed before every dose: none is on record.",)
    not_authorised = run("Tysabri", screenings=[jcv, asked, mri, screening("rems", TODAY, "not_authorised")])
    assert not_authorised.hard_stops and "Not authorised" in not_authorised.hard_stops[0]
    expired = run(
        "Tysabri",
        first=False,
        screenings=[asked, jcv, screening("clinical_review", TODAY, "no_concerns", valid=182)]
        + [screening("rems", D(2026, 1, 1), "authorised", valid=182)],
    )
    assert expired.status == "blocked" and "no longer valid" in expired.blocking[0]
    positive = run(
        "Tysabri",
        first=False,
        screenings=[
            asked,
            screening("clinical_review", TODAY, "no_concerns", valid=182),
            screening("rems", TODAY, "authorised"),
            screening("jcv", TODAY, "positive"),
        ],
    )
    assert positive.status == "warnings" and "PML" in positive.warnings[0]


MITO_EVERY = [
    screening("cbc", TODAY, "normal", valid=31),
    screening("liver_tests", TODAY, "normal", valid=90),
    screening("chemistry", TODAY, "normal", valid=14),
    screening("urinalysis", TODAY, "normal", valid=31),
    screening("anc", TODAY, "", valid=14, value=Decimal("2100")),
]


def test_mitoxantrone_lvef_is_numeric_with_a_hard_stop_threshold():
    good_lvef = screening("lvef", TODAY - datetime.timedelta(10), "", valid=90, value=Decimal("60"))
    args = {"dose_mg_per_m2": Decimal("12"), "first": False}
    ready = run("Mitoxantrone", screenings=[*MITO_EVERY, good_lvef], cumulative_mg_per_m2=Decimal("24"), **args)
    assert ready.status == "ready"
    low = screening("lvef", TODAY, "", valid=90, value=Decimal("45"))
    r = run("Mitoxantrone", screenings=[*MITO_EVERY, low], cumulative_mg_per_m2=Decimal("0"), **args)
    assert (
        r.blocking
        == r.hard_stops
        == (
            "LVEF (echocardiogram or MUGA) is 45 %, below the minimum of 50 % (taken 1 Dec 2026): do not give "
            "mitoxantrone. Hard stop: nobody can override it.",
        )
    )
    assert r.refuses_booking  # booking is gated on the echo
    old = screening("lvef", TODAY - datetime.timedelta(40), "", valid=90, value=Decimal("60"))
    stale = run("Mitoxantrone", screenings=[*MITO_EVERY, old], cumulative_mg_per_m2=Decimal("0"), **args)
    assert stale.status == "blocked" and "at most 30 days old" in stale.blocking[0]
    assert stale.hard_stops == () and stale.refuses_booking == ()


def test_mitoxantrone_booking_waits_for_an_echo_on_record():
    future = TODAY + datetime.timedelta(30)
    r = run("Mitoxantrone", on=future, first=False, screenings=MITO_EVERY, dose_mg_per_m2=Decimal("12"))
    assert r.refuses_booking and "LVEF" in r.refuses_booking[0]
    echo = screening("lvef", TODAY, "", valid=90, value=Decimal("58"))
    ok = run("Mitoxantrone", on=future, first=False, screenings=[*MITO_EVERY, echo], dose_mg_per_m2=Decimal("12"))
    assert ok.refuses_booking == ()


def test_an_anc_below_1500_is_a_hard_stop():
    echo = screening("lvef", TODAY, "", valid=90, value=Decimal("60"))
    low = screening("anc", TODAY, "", valid=14, value=Decimal("1200"))
    r = run("Mitoxantrone", first=False, screenings=[*MITO_EVERY[:-1], echo, low], dose_mg_per_m2=Decimal("12"))
    assert len(r.hard_stops) == 1 and "1,200 /mm³, below the minimum of 1,500 /mm³" in r.hard_stops[0]
    no_value = run(
        "Mitoxantrone",
        first=False,
        screenings=[*MITO_EVERY[:-1], echo, screening("anc", TODAY, "", valid=14)],
        dose_mg_per_m2=Decimal("12"),
    )
    assert "has no value recorded" in no_value.blocking[0]


def test_the_lifetime_limit_is_a_hard_stop_that_refuses_the_booking():
    echo = screening("lvef", TODAY, "", valid=90, value=Decimal("60"))
    args = {"dose_mg_per_m2": Decimal("12"), "first": False, "screenings": [*MITO_EVERY, echo]}
    over = run("Mitoxantrone", cumulative_mg_per_m2=Decimal("132"), **args)
    assert (
        over.refuses_booking
        == over.hard_stops
        == ("Mitoxantrone lifetime limit: 132 mg/m² given plus this dose of 12 mg/m² would exceed 140 mg/m².",)
    )
    near = run("Mitoxantrone", cumulative_mg_per_m2=Decimal("108"), **args)
    assert near.status == "warnings" and near.refuses_booking == ()
    unknown = run("Mitoxantrone", screenings=[*MITO_EVERY, echo], dose_mg_per_m2=None, first=False)
    assert "height and weight" in unknown.blocking[0]


def test_pregnancy_test_only_for_reproductive_potential():
    base = [INFECTION_OK]
    assert run("Briumvi", first=False, screenings=base).status == "ready"
    r = run("Briumvi", first=False, reproductive=True, screenings=base)
    assert r.blocking == ("Pregnancy test is needed before every dose: none is on record.",)
    positive = run(
        "Briumvi", first=False, reproductive=True, screenings=[*base, screening("pregnancy", TODAY, "positive", 7)]
    )
    assert positive.status == "blocked" and "Pregnancy test: Positive" in positive.blocking[0]


LEMTRADA_LABS = [screening(k, TODAY - datetime.timedelta(5), "normal", valid=31) for k in ("cbc", "creatinine")] + [
    screening("urinalysis", TODAY - datetime.timedelta(5), "normal", valid=31)
]


def test_a_new_lemtrada_patient_with_no_screenings_is_blocked_not_ready_with_warnings():
    future = TODAY + datetime.timedelta(14)
    r = run("Lemtrada", on=future, first=True)
    assert r.status == "blocked"
    blocked = " ".join(r.blocking)
    for name in ("Full blood count", "Serum creatinine", "Urinalysis", "HIV test"):
        assert f"{name}" in blocked and "at baseline" in blocked


def test_lemtrada_monthly_labs_must_be_recent():
    rems = screening("rems", TODAY, "authorised")
    review = [screening("thyroid", TODAY, "normal", 92), screening("skin_exam", TODAY, "no_concerns")]
    stale = [screening(s.kind, TODAY - datetime.timedelta(40), "normal", valid=60) for s in LEMTRADA_LABS]
    r = run("Lemtrada", first=False, screenings=[rems, *review, *stale])
    assert r.status == "blocked"
    assert r.blocking[0].startswith("Full blood count (CBC with differential) is needed monthly while on treatment")
    assert "at most 31 days old" in r.blocking[0]
    assert run("Lemtrada", first=False, screenings=[rems, *review, *LEMTRADA_LABS]).status == "ready"


def test_baseline_checks_apply_again_on_the_first_day_of_a_later_course():
    rems = screening("rems", TODAY, "authorised")
    review = [screening("thyroid", TODAY, "normal", 92), screening("skin_exam", TODAY, "no_concerns")]
    later_day = run("Lemtrada", first=False, screenings=[rems, *review, *LEMTRADA_LABS])
    course_start = run("Lemtrada", first=False, course_start=True, screenings=[rems, *review, *LEMTRADA_LABS])
    assert later_day.status == "ready"
    assert course_start.status == "blocked" and "HIV test is needed at baseline" in course_start.blocking[0]


def test_a_non_blocking_requirement_is_a_warning():
    r = run("IV methylprednisolone (relapse)", first=False)
    assert r.status == "warnings" and r.blocking == ()


def test_two_requirements_on_one_check_say_it_once_at_the_stronger_level():
    r = run("Tysabri", screenings=[screening("jcv", TODAY, "indeterminate", valid=182)])
    messages = [m for m in r.blocking if "Anti-JCV" in m]
    assert len(messages) == 1 and len([m for m in r.warnings if "Anti-JCV" in m]) == 0
