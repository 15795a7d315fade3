"""Seed data for the per-drug symptom lists and advice (migration 0002 and the test set-up call `seed`).

From the center's reference (patient guidance): the signs to report in the day after an anti-CD20 or
natalizumab infusion [S65][S7][S64]; Lemtrada adds the stroke warning signs through day 3 [S37] and the label's
food-safety (Listeria) advice [S32]. The drug admin edits these in Django admin; seeding never overwrites.
"""

from __future__ import annotations

from django.utils import timezone

SEED_REASON = "Seeded from the center's reference"

COMMON = [
    ("Itchy skin, a rash or hives", False),
    ("Flushing (red, warm skin)", False),
    ("Fever or chills", False),
    ("Headache", False),
    ("Dizziness", False),
    ("Nausea or being sick", False),
    ("Unusual tiredness", False),
    ("Throat irritation or a cough", False),
    ("Pain, redness or swelling where the needle was", False),
    ("Swelling of the face, lips, tongue or throat", True),
    ("Shortness of breath or wheezing", True),
    ("Chest pain, or a fast or irregular heartbeat", True),
    ("Feeling faint or passing out", True),
]
STROKE_SIGNS = [
    ("A sudden, severe headache or neck pain", True),
    ("Sudden numbness or weakness, especially on one side", True),
    ("Sudden confusion, or trouble speaking or understanding", True),
    ("Sudden trouble seeing, dizziness or loss of balance", True),
]
EXTRA = {
    "Lemtrada": STROKE_SIGNS,
    "Mitoxantrone": [("Mouth sores", False), ("Blue-green urine lasting more than two days", False)],
}
ADVICE = {
    "Lemtrada": {
        "before_visit": (
            "Food safety: in the month before and after your treatment, avoid foods that may carry Listeria - "
            "uncooked or undercooked meat and fish, unpasteurised milk and soft cheeses made from it, and "
            "deli meats that are not heated until steaming."
        ),
        "after_visit": (
            "Food safety: for at least a month after your treatment, avoid foods that may carry Listeria - "
            "uncooked or undercooked meat and fish, unpasteurised milk and soft cheeses made from it, and "
            "deli meats that are not heated until steaming. Call us if you get a fever, headache or stiff neck."
        ),
    },
}


def seed(apps, schema_editor=None) -> None:
    """Give every drug in the catalogue its symptom list and advice, where it has none yet."""
    Drug = apps.get_model("scheduling", "Drug")
    SymptomOption = apps.get_model("replies", "SymptomOption")
    DrugAdvice = apps.get_model("replies", "DrugAdvice")
    for drug in Drug.objects.all():
        if not SymptomOption.objects.filter(drug=drug).exists():
            rows = COMMON + EXTRA.get(drug.name, [])
            SymptomOption.objects.bulk_create(
                [
                    SymptomOption(drug=drug, label=label, urgent=urgent, position=position)
                    for position, (label, urgent) in enumerate(rows, start=1)
                ]
            )
        advice = ADVICE.get(drug.name)
        if advice and not DrugAdvice.objects.filter(drug=drug).exists():
            DrugAdvice.objects.create(drug=drug, **advice)
    for name in ("SymptomOption", "DrugAdvice"):
        _baseline(apps.get_model("replies", name), apps.get_model("replies", f"Historical{name}"))


def _baseline(model, historical) -> None:
    """A first history entry for each seeded row (historical models send no signals), so the first edit in admin
    shows what it changed. Rows that have a history keep it."""
    now = timezone.now()
    recorded = set(historical.objects.values_list("id", flat=True).distinct())
    rows = []
    for obj in model.objects.exclude(pk__in=recorded).order_by("pk"):
        entry = historical(history_date=now, history_type="+", history_change_reason=SEED_REASON)
        for field in model._meta.concrete_fields:
            setattr(entry, field.attname, getattr(obj, field.attname))
        rows.append(entry)
    historical.objects.bulk_create(rows)
