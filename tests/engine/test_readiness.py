"""Readiness problems and warnings from the drugs' screening requirements (no database)."""

import datetime
from decimal import Decimal

from scheduling.engine.readiness import ScreeningResult, evaluate
from tests.engine.catalogue import drug

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


INFECTION_OK = screening("infection", TODAY, valid=3)


def test_hepatitis_b_before_the_first_anti_cd20_dose_only():
    r = run("Ocrevus (IV)", screenings=[INFECTION_OK])
    assert r.status == "blocked"
    assert r.blocking == ("Hepatitis B screening is needed before the first dose: none is on record.",)
    assert run("Ocrevus (IV)", first=False, screenings=[INFECTION_OK]).status == "ready"
    ok = run("Ocrevus (IV)", screenings=[INFECTION_OK, screening("hep_b", TODAY - datetime.timedelta(30))])
    assert ok.status == "ready"


def test_a_positive_hepatitis_b_result_blocks():
    r = run("Briumvi", screenings=[INFECTION_OK, screening("hep_b", TODAY, "positive")])
    assert r.blocking == ("Hepatitis B screening is positive (taken 1 Dec 2026): anti-CD20 therapy must not be given.",)


def test_an_every_dose_check_not_done_yet_for_a_future_date_is_a_pending_warning():
    future = TODAY + datetime.timedelta(20)
    r = run("Ocrevus (IV)", on=future, first=False)
    assert r.status == "warnings" and r.blocking == ()
    assert r.pending == r.warnings == r.blocks_start
    assert "Active-infection check still to be done" in r.warnings[0]
    # on the day it blocks the start
    today = run("Ocrevus (IV)", first=False)
    assert today.status == "blocked" and "Active-infection check is needed before every dose" in today.blocking[0]


def test_natalizumab_needs_jcv_and_a_current_authorisation():
    r = run("Tysabri", screenings=[screening("jcv", TODAY, "negative", valid=182)])
    assert r.blocking == ("REMS / safety programme authorisation is needed before every dose: none is on record.",)
    not_authorised = run("Tysabri", screenings=[screening("jcv", TODAY), screening("rems", TODAY, "not_authorised")])
    assert "not authorised" in not_authorised.blocking[0]
    expired = run("Tysabri", first=False, screenings=[screening("rems", D(2026, 1, 1), "authorised", valid=182)])
    assert expired.status == "blocked" and "no longer valid" in expired.blocking[0]
    positive = run(
        "Tysabri", first=False, screenings=[screening("rems", TODAY, "authorised"), screening("jcv", TODAY, "positive")]
    )
    assert positive.status == "warnings" and "PML" in positive.warnings[0]


def test_mitoxantrone_lvef_and_lifetime_limit():
    good_lvef = screening("lvef", TODAY - datetime.timedelta(10), "normal", valid=90, value=Decimal("60"))
    args = {"dose_mg_per_m2": Decimal("12"), "first": False}
    assert run("Mitoxantrone", screenings=[good_lvef], cumulative_mg_per_m2=Decimal("24"), **args).status == "ready"
    low = screening("lvef", TODAY, "normal", valid=90, value=Decimal("45"))
    assert run("Mitoxantrone", screenings=[low], cumulative_mg_per_m2=Decimal("0"), **args).blocking == (
        "LVEF (echocardiogram) is 45, below the minimum of 50 (taken 1 Dec 2026).",
    )
    old = screening("lvef", TODAY - datetime.timedelta(40), "normal", valid=90, value=Decimal("60"))
    r = run("Mitoxantrone", screenings=[old], cumulative_mg_per_m2=Decimal("0"), **args)
    assert r.status == "blocked" and "at most 30 days old" in r.blocking[0]
    over = run("Mitoxantrone", screenings=[good_lvef], cumulative_mg_per_m2=Decimal("132"), **args)
    assert over.refuses_booking == (
        "Mitoxantrone lifetime limit: 132 mg/m² given plus this dose of 12 mg/m² would exceed 140 mg/m².",
    )
    near = run("Mitoxantrone", screenings=[good_lvef], cumulative_mg_per_m2=Decimal("108"), **args)
    assert near.status == "warnings" and near.refuses_booking == ()
    unknown = run("Mitoxantrone", screenings=[good_lvef], dose_mg_per_m2=None, cumulative_mg_per_m2=None, first=False)
    assert "height and weight" in unknown.blocking[0]


def test_pregnancy_test_only_for_reproductive_potential():
    base = [INFECTION_OK]
    assert run("Briumvi", first=False, screenings=base).status == "ready"
    r = run("Briumvi", first=False, reproductive=True, screenings=base)
    assert r.blocking == ("Pregnancy test is needed before every dose: none is on record.",)
    positive = run(
        "Briumvi",
        first=False,
        reproductive=True,
        screenings=[*base, screening("pregnancy", TODAY, "positive", valid=7)],
    )
    assert positive.blocking == ("The pregnancy test is positive (taken 1 Dec 2026).",)


def test_lemtrada_monthly_labs_must_be_recent():
    rems = screening("rems", TODAY, "authorised")
    stale = screening("lemtrada_labs", TODAY - datetime.timedelta(40), "normal", valid=31)
    r = run("Lemtrada", first=False, screenings=[rems, stale])
    assert r.status == "blocked" and r.blocking[0].startswith("Lemtrada monthly labs is needed before every dose")
    fresh = screening("lemtrada_labs", TODAY - datetime.timedelta(5), "normal", valid=31)
    assert run("Lemtrada", first=False, screenings=[rems, fresh]).status == "ready"


def test_a_non_blocking_requirement_is_a_warning():
    r = run("IV methylprednisolone (relapse)", first=False)
    assert r.status == "warnings" and r.blocking == ()
