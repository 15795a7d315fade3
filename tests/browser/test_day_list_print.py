"""The printed day list in Chromium: nothing cut off, the toolbar hidden, a new page for every hour."""

import datetime
import io
import re
import unicodedata

import pytest
from django.utils import timezone

from infusion_center import roles
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours, staff
from tests.web.helpers import chairs, ocrevus_initial_doses_elsewhere

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    ("Maximiliana-Josefina", "Konstantinopoulou-Vanderbilt"),
    ("Bartholomew", "Featherstonehaugh-Cholmondeley"),
    ("Sofia", "Doyle"),
    ("Oluwaseun Adebayo", "Okonkwo-Nwachukwu"),
    ("Anh", "Nguyen"),
]


def _squash(text: str) -> str:
    """PDF text without spaces, hyphens or ligatures (Chromium prints "fi" as one glyph)."""
    return re.sub(r"[\s\-‐]+", "", unicodedata.normalize("NFKC", text))


def test_printed_day_list_keeps_every_name_whole_and_breaks_pages_by_hour(page, live_server, sign_in):
    from pypdf import PdfReader

    opening_hours()
    center = chairs(len(NAMES))  # one each: the visits overlap
    day = timezone.localdate() + datetime.timedelta(days=1)
    hours = [8, 8, 9, 11, 11]
    for index, ((first, last), hour) in enumerate(zip(NAMES, hours, strict=True)):
        patient = PatientFactory(first_name=first, last_name=last, allergies="Penicillin (anaphylaxis)\nLatex")
        plan = TreatmentPlanFactory(patient=patient)
        ocrevus_initial_doses_elsewhere(plan, maintenance_due=day)  # a maintenance dose: no first-dose checks
        AppointmentFactory(
            ocrevus_maintenance=True, chair=center[index], premed_start=local(day, hour, 15 * (index % 2)), plan=plan
        )
    staff(roles.NURSE, "nora")
    sign_in("nora")
    page.goto(f"{live_server.url}/day-list/?day={day.isoformat()}")
    assert page.locator("tr.visit").count() == len(NAMES)

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    assert page.locator(".toolbar").is_hidden()
    clipped = page.eval_on_selector_all(
        ".patient-name",
        """els => els.filter(el => {
            const cell = el.closest('td');
            const style = getComputedStyle(el);
            const outside = el.getBoundingClientRect().right > cell.getBoundingClientRect().right + 1;
            return el.scrollWidth > el.clientWidth + 1 || cell.scrollWidth > cell.clientWidth + 1
                || style.textOverflow === 'ellipsis' || outside;
        }).map(el => el.textContent)""",
    )
    assert clipped == []
    overflowing = page.eval_on_selector_all(
        "tr.visit td", "cells => cells.filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent)"
    )
    assert overflowing == []  # no cell spills into the next one either
    breaks = page.eval_on_selector_all(".hour", "els => els.map(el => getComputedStyle(el).breakBefore)")
    assert breaks == ["auto", "page", "page"]  # 08:00, 09:00, 11:00

    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(pdf.pages) == 3  # one page per hour here
    texts = [_squash(p.extract_text()) for p in pdf.pages]
    pages = [texts[0], texts[0], texts[1], texts[2], texts[2]]
    for (first, last), text in zip(NAMES, pages, strict=True):
        # a wrapped name's lines may be read between other cells' lines: every part of it must be there, whole
        for part in re.split(r"[\s-]+", f"{first} {last}"):
            assert part in text, (first, last, part)
    whole = "".join(texts)
    assert "DownloadCSV" not in whole and "Penicillin(anaphylaxis)" in whole
