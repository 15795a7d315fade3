"""The fields of the admin's tabular inlines (a drug's phases, premedications, screening checks) carry their names:
the column header of the table is no label, so a screen reader would announce unnamed boxes."""

import re

import pytest
from django.urls import reverse

from scheduling.models import Drug

pytestmark = pytest.mark.django_db


def test_every_field_of_a_drugs_inline_rows_is_named_by_row_and_column(client, drug_admin):
    drug = Drug.objects.filter(phases__isnull=False, screening_requirements__isnull=False).distinct().first()
    client.force_login(drug_admin)
    html = client.get(reverse("admin:scheduling_drug_change", args=[drug.pk])).content.decode()

    assert 'aria-label="Regimen phase 1: Name"' in html
    assert 'aria-label="Regimen phase 2: Name"' in html
    assert 'aria-label="New regimen phase: Name"' in html  # the row "Add another" copies
    kinds = re.findall(r'<select name="screening_requirements-(\d+)-kind"[^>]*aria-label="([^"]+)"', html)
    assert kinds and all(label == f"Screening requirement {int(row) + 1}: Check" for row, label in kinds), kinds
    for name in re.findall(r'<(?:input|select|textarea)[^>]*name="(phases-\d+-[a-z_]+)"', html):
        tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        assert "aria-label=" in tag or 'type="hidden"' in tag, tag
