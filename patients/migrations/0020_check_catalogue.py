"""Safety checks become catalogue data: each check kind with its result type and its own answers.

Seeds every check the center's reference lists for the eight therapies (sources in each check's notes), then
moves the existing screenings onto them: a result that was not an answer of its check (e.g. REMS "positive")
becomes the check's non-clearing answer, with the original word kept in the notes, so it never clears a gate.
The former combined "Lemtrada monthly labs" becomes three results (CBC, creatinine, urinalysis); the combined
check stays, inactive, so older history still reads.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


CLEARS, WARN, NOT_CLEARED, HARD_STOP = "clears", "clears_warning", "not_cleared", "hard_stop"

NORMAL_ABNORMAL = [
    ("normal", "Normal / acceptable", CLEARS, ""),
    ("abnormal", "Abnormal", NOT_CLEARED, "review with the prescriber before dosing"),
]
NEGATIVE_POSITIVE = [
    ("negative", "Negative", CLEARS, ""),
    ("positive", "Positive", NOT_CLEARED, "review with the prescriber before dosing"),
    ("indeterminate", "Indeterminate", NOT_CLEARED, "repeat the test or review before dosing"),
]
DONE_CONCERNS = [
    ("no_concerns", "Done, no concerns", CLEARS, ""),
    ("concerns", "Done, concerns to review", NOT_CLEARED, "review with the prescriber before dosing"),
]

# (code, name, validity days, answers or None for numeric, extra fields, sources)
KINDS = [
    {
        "code": "hep_b",
        "name": "Hepatitis B screening (HBsAg, anti-HBc)",
        "default_validity_days": 365,
        "answers": [
            ("negative", "Negative", CLEARS, ""),
            ("positive", "Positive", HARD_STOP, "active HBV: anti-CD20 therapy must not be given"),
            ("indeterminate", "Indeterminate", NOT_CLEARED, "repeat or refer to hepatology before dosing"),
        ],
        "notes": "Before the first anti-CD20 dose; contraindicated with active HBV. Ocrevus [S5][S1], Zunovo [S11], "
        "Briumvi [S40].",
    },
    {
        "code": "immunoglobulins",
        "name": "Quantitative serum immunoglobulins",
        "default_validity_days": 365,
        "answers": [
            ("normal", "Within normal limits", CLEARS, ""),
            ("low", "Below normal", NOT_CLEARED, "review with the prescriber before dosing"),
        ],
        "notes": "Before the first anti-CD20 dose. Ocrevus [S5][S1], Zunovo [S11][S12], Briumvi [S40].",
    },
    {
        "code": "liver_tests",
        "name": "Liver tests (ALT, AST, alkaline phosphatase, bilirubin)",
        "default_validity_days": 90,
        "answers": NORMAL_ABNORMAL,
        "notes": "Ocrevus and Briumvi before the first dose (label 8/2025) [S5][S40]; mitoxantrone before each "
        "infusion [S49].",
    },
    {
        "code": "vaccinations",
        "name": "Vaccinations reviewed (live >= 4 weeks, non-live >= 2 weeks before)",
        "default_validity_days": 365,
        "answers": [
            ("complete", "Complete, in time", CLEARS, ""),
            ("incomplete", "Not complete or too recent", NOT_CLEARED, "review timing with the prescriber"),
        ],
        "notes": "Anti-CD20: live >= 4 weeks, non-live >= 2 weeks before the first dose [S5][S40]; Lemtrada: "
        ">= 6 weeks before treatment [S78] (weak).",
    },
    {
        "code": "infection",
        "name": "Active-infection check",
        "default_validity_days": 3,
        "answers": [
            ("none", "No active infection", CLEARS, ""),
            ("present", "Active infection", NOT_CLEARED, "delay the infusion until it has resolved"),
            ("unclear", "Possible infection, to review", NOT_CLEARED, "review before the infusion"),
        ],
        "notes": "Before every anti-CD20 infusion; delay if present [S1][S2][S11][S40]. IV methylprednisolone: rule "
        "out infection, e.g. UTI [S62].",
    },
    {
        "code": "pregnancy",
        "name": "Pregnancy test",
        "default_validity_days": 7,
        "answers": [
            ("negative", "Negative", CLEARS, ""),
            ("positive", "Positive", NOT_CLEARED, "do not dose without the prescriber's decision"),
            ("inconclusive", "Inconclusive", NOT_CLEARED, "repeat the test before dosing"),
        ],
        "notes": "Briumvi: confirm pregnancy status before every infusion [S40][S43]; mitoxantrone: before each dose "
        "[S52]; IV methylprednisolone: tell the team [S62].",
    },
    {
        "code": "jcv",
        "name": "Anti-JCV antibody",
        "default_validity_days": 182,
        "answers": [
            ("negative", "Negative", CLEARS, ""),
            ("positive", "Positive", WARN, "PML risk to review with the neurologist"),
            ("indeterminate", "Indeterminate", NOT_CLEARED, "repeat the test"),
        ],
        "notes": "Natalizumab: before starting [S17]; retest antibody-negative patients every 6 months [S27] (US "
        "interval UNCONFIRMED). Tyruko: Labcorp testing programme [S25].",
    },
    {
        "code": "mri",
        "name": "Baseline MRI",
        "default_validity_days": 365,
        "answers": DONE_CONCERNS,
        "notes": "Natalizumab: MRI before starting [S21] (tier C).",
    },
    {
        "code": "rems",
        "name": "Safety programme (REMS) authorisation",
        "default_validity_days": 182,
        "answers": [
            ("authorised", "Authorised", CLEARS, ""),
            ("not_authorised", "Not authorised", HARD_STOP, "do not infuse"),
            ("pending", "Pending", NOT_CLEARED, "wait for the authorisation"),
        ],
        "notes": "Tysabri TOUCH: 'Authorized' before every infusion, re-authorised every 6 months [S17][S19][S20]; "
        "TYRUKO REMS [S24]; LEMTRADA REMS [S35][S31].",
    },
    {
        "code": "clinical_review",
        "name": "Natalizumab clinical review",
        "default_validity_days": 182,
        "answers": DONE_CONCERNS,
        "notes": "3 and 6 months after the first infusion, then at least every 6 months [S19][S17].",
    },
    {
        "code": "preinfusion_questions",
        "name": "Pre-infusion questions (infection, new symptoms, past reactions)",
        "default_validity_days": 1,
        "answers": [
            ("no_concerns", "No concerns", CLEARS, ""),
            ("concerns", "Concerns raised", NOT_CLEARED, "review with the prescriber before infusing"),
        ],
        "notes": "Natalizumab: before each infusion ask about fever or infection, new or worsening symptoms, and "
        "hives/itching/breathing trouble at past infusions [S15].",
    },
    {
        "code": "lvef",
        "name": "LVEF (echocardiogram or MUGA)",
        "default_validity_days": 90,
        "result_type": "numeric",
        "unit": "%",
        "threshold": "50",
        "threshold_hard_stop": True,
        "threshold_advice": "do not give mitoxantrone",
        "notes": "Mitoxantrone: before the initial dose and every later dose [S47]; do not dose if LVEF < 50% "
        "[S51][S54][S52]. Gate scheduling on an echo result [S47].",
    },
    {
        "code": "anc",
        "name": "Absolute neutrophil count (ANC)",
        "default_validity_days": 14,
        "result_type": "numeric",
        "unit": "/mm³",
        "threshold": "1500",
        "threshold_hard_stop": True,
        "threshold_advice": "do not give mitoxantrone",
        "notes": "Mitoxantrone: generally do not give if neutrophils < 1,500 cells/mm³ (boxed warning) [S48].",
    },
    {
        "code": "cbc",
        "name": "Full blood count (CBC with differential)",
        "default_validity_days": 31,
        "answers": NORMAL_ABNORMAL,
        "notes": "Lemtrada: at baseline, then monthly until 48 months after the last dose [S34]; mitoxantrone: "
        "before each infusion [S49].",
    },
    {
        "code": "creatinine",
        "name": "Serum creatinine",
        "default_validity_days": 31,
        "answers": NORMAL_ABNORMAL,
        "notes": "Lemtrada: at baseline, then monthly until 48 months after the last dose [S34].",
    },
    {
        "code": "urinalysis",
        "name": "Urinalysis with urine cell counts",
        "default_validity_days": 31,
        "answers": NORMAL_ABNORMAL,
        "notes": "Lemtrada: at baseline, then monthly until 48 months after the last dose [S34]; mitoxantrone: before "
        "each infusion, hold for UTI [S49].",
    },
    {
        "code": "chemistry",
        "name": "Blood chemistry",
        "default_validity_days": 14,
        "answers": NORMAL_ABNORMAL,
        "notes": "Mitoxantrone: chemistry before each infusion [S49].",
    },
    {
        "code": "thyroid",
        "name": "Thyroid function (TSH)",
        "default_validity_days": 92,
        "answers": NORMAL_ABNORMAL,
        "notes": "Lemtrada: every 3 months [S36] (payer policy).",
    },
    {
        "code": "hiv",
        "name": "HIV test",
        "default_validity_days": 365,
        "answers": [
            ("negative", "Negative", CLEARS, ""),
            ("positive", "Positive", HARD_STOP, "HIV infection is a contraindication to Lemtrada"),
            ("indeterminate", "Indeterminate", NOT_CLEARED, "repeat the test before dosing"),
        ],
        "notes": "Lemtrada: contraindicated with HIV infection [S32].",
    },
    {
        "code": "tb",
        "name": "Tuberculosis screening",
        "default_validity_days": 365,
        "answers": NEGATIVE_POSITIVE,
        "notes": "Lemtrada: TB screening before treatment [S78] (weak).",
    },
    {
        "code": "vzv",
        "name": "Varicella-zoster (VZV) immunity",
        "default_validity_days": 3650,
        "answers": [
            ("immune", "Immune", CLEARS, ""),
            ("not_immune", "Not immune", NOT_CLEARED, "vaccinate at least 6 weeks before treatment"),
        ],
        "notes": "Lemtrada: VZV status before treatment [S78] (weak).",
    },
    {
        "code": "hep_c",
        "name": "Hepatitis C screening",
        "default_validity_days": 365,
        "answers": NEGATIVE_POSITIVE,
        "notes": "Lemtrada baseline screening. Not in the retrieved sources: confirm with the pharmacist.",
    },
    {
        "code": "skin_exam",
        "name": "Skin examination",
        "default_validity_days": 365,
        "answers": DONE_CONCERNS,
        "notes": "Lemtrada: yearly skin exams [S32].",
    },
    {
        "code": "herpes_prophylaxis",
        "name": "Antiviral herpes prophylaxis started",
        "default_validity_days": 31,
        "answers": [
            ("started", "Started", CLEARS, ""),
            ("not_started", "Not started", NOT_CLEARED, "start oral antiviral prophylaxis from day 1 of the course"),
        ],
        "notes": "Lemtrada: oral antiviral herpes prophylaxis from day 1 of each course, for >= 2 months [S33][S39].",
    },
    {
        "code": "steroid_review",
        "name": "Steroid pre-treatment review (diabetes, mental health history)",
        "default_validity_days": 7,
        "answers": DONE_CONCERNS,
        "notes": "IV methylprednisolone: tell the team about diabetes (raises blood sugar) and mental health history "
        "[S62].",
    },
]

LEGACY_KINDS = [
    {
        "code": "lemtrada_labs",
        "name": "Lemtrada monthly labs (former combined record)",
        "default_validity_days": 31,
        "answers": NORMAL_ABNORMAL,
        "is_active": False,
        "notes": "Replaced by CBC with differential, serum creatinine and urinalysis, each recorded on its own.",
    },
]

# Old result word -> answer code per check; anything else becomes the fallback (a non-clearing answer).
LEGACY_RESULTS = {
    "hep_b": ({"negative": "negative", "positive": "positive"}, "indeterminate"),
    "jcv": ({"negative": "negative", "positive": "positive"}, "indeterminate"),
    "infection": ({"negative": "none", "positive": "present", "abnormal": "present"}, "unclear"),
    "pregnancy": ({"negative": "negative", "positive": "positive"}, "inconclusive"),
    "rems": ({"authorised": "authorised", "not_authorised": "not_authorised"}, "pending"),
    "cbc": ({"normal": "normal", "abnormal": "abnormal"}, "abnormal"),
    "creatinine": ({"normal": "normal", "abnormal": "abnormal"}, "abnormal"),
    "urinalysis": ({"normal": "normal", "abnormal": "abnormal"}, "abnormal"),
}
LEMTRADA_LAB_KINDS = ("cbc", "creatinine", "urinalysis")


def seed(apps, schema_editor):
    """Create the seeded checks that are missing (an edited check is left as the drug admin keeps it)."""
    CheckKind = apps.get_model("patients", "CheckKind")
    CheckAnswer = apps.get_model("patients", "CheckAnswer")
    for entry in [*KINDS, *LEGACY_KINDS]:
        if CheckKind.objects.filter(code=entry["code"]).exists():
            continue
        values = {k: v for k, v in entry.items() if k not in ("answers", "threshold")}
        if "threshold" in entry:
            values["threshold"] = Decimal(entry["threshold"])
        kind = CheckKind.objects.create(**values)
        for position, (code, label, outcome, advice) in enumerate(entry.get("answers") or (), start=1):
            CheckAnswer.objects.create(
                check_kind=kind, code=code, label=label, outcome=outcome, advice=advice, position=position
            )


LEGACY_CODES = ("hep_b", "jcv", "lvef", "infection", "pregnancy", "rems", "lemtrada_labs")
OLD_WORDS = {  # answer code -> the old shared word, for migrating back
    "none": "negative",
    "present": "positive",
    "unclear": "abnormal",
    "indeterminate": "abnormal",
    "inconclusive": "abnormal",
    "pending": "not_authorised",
}


def unmigrate_screenings(apps, schema_editor):
    """Back to the fixed list of kinds: CBC results become the combined Lemtrada labs; results of checks the old
    list did not have cannot be kept in its schema and are removed (their history stays, its code cut to fit)."""
    _checks_now(schema_editor)
    Screening = apps.get_model("patients", "Screening")
    HistoricalScreening = apps.get_model("patients", "HistoricalScreening")
    Screening.objects.filter(kind_id="cbc").update(kind_id="lemtrada_labs")
    Screening.objects.exclude(kind_id__in=LEGACY_CODES).delete()
    for old_code, word in OLD_WORDS.items():
        Screening.objects.filter(result=old_code).update(result=word)
    for screening in Screening.objects.filter(kind_id="lvef"):
        screening.result = "normal" if screening.value is not None and screening.value >= 50 else "abnormal"
        screening.save(update_fields=["result"])
    for row in HistoricalScreening.objects.exclude(kind_id__in=LEGACY_CODES):
        row.kind_id = row.kind_id[:20]
        row.save(update_fields=["kind"])


def _checks_now(schema_editor):
    """PostgreSQL defers foreign-key checks to the commit; the schema changes after this step need none pending."""
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


BASELINE_REASON = "Seeded from the center's reference"


def _history_baseline(apps, app_label, names):
    """A first history entry for seeded rows that have none (historical models send no signals in migrations)."""
    from django.utils import timezone

    now = timezone.now()
    for name in names:
        model = apps.get_model(app_label, name)
        historical = apps.get_model(app_label, f"Historical{name}")
        recorded = set(historical.objects.values_list("id", flat=True).distinct())
        rows = []
        for obj in model.objects.exclude(pk__in=recorded).order_by("pk"):
            entry = historical(history_date=now, history_type="+", history_change_reason=BASELINE_REASON)
            for field in model._meta.concrete_fields:
                setattr(entry, field.attname, getattr(obj, field.attname))
            rows.append(entry)
        historical.objects.bulk_create(rows)


def history_baseline(apps, schema_editor):
    _history_baseline(apps, "patients", ("CheckKind", "CheckAnswer"))


def _note(notes, old):
    return (f"{notes} " if notes else "") + f"[Recorded before typed results as '{old}'.]"


def migrate_screenings(apps, schema_editor):
    _checks_now(schema_editor)
    Screening = apps.get_model("patients", "Screening")
    for screening in Screening.objects.filter(kind="lemtrada_labs"):
        for code in LEMTRADA_LAB_KINDS[1:]:
            Screening.objects.create(
                patient_id=screening.patient_id,
                kind=code,
                taken_on=screening.taken_on,
                result=screening.result,
                valid_days=screening.valid_days,
                notes=screening.notes,
                recorded_by_id=screening.recorded_by_id,
            )
        screening.kind = LEMTRADA_LAB_KINDS[0]
        screening.save(update_fields=["kind"])
    for screening in Screening.objects.all():
        if screening.kind == "lvef":
            if screening.result:
                screening.result = ""
                screening.save(update_fields=["result"])
            continue
        mapping, fallback = LEGACY_RESULTS.get(screening.kind, ({}, None))
        if fallback is None:
            continue
        new = mapping.get(screening.result)
        if new is None:
            screening.notes = _note(screening.notes, screening.result)[:255]
            new = fallback
        if new != screening.result:
            screening.result = new
            screening.save(update_fields=["result", "notes"])


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_patient_access"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckKind",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.SlugField(
                        help_text="Stable key used by drug requirements, e.g. 'hep_b'. Fixed once saved.",
                        max_length=30,
                        unique=True,
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="As staff know it, e.g. 'Hepatitis B screening'.", max_length=120, unique=True
                    ),
                ),
                (
                    "result_type",
                    models.CharField(
                        choices=[
                            ("qualitative", "Qualitative: one of the check's own answers"),
                            ("numeric", "Numeric: a measured value with its unit"),
                        ],
                        default="qualitative",
                        max_length=12,
                    ),
                ),
                (
                    "unit",
                    models.CharField(
                        blank=True, help_text="Numeric checks: the unit, e.g. '%' or '/mm³'.", max_length=20
                    ),
                ),
                (
                    "threshold",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Numeric checks: the value that clears it.",
                        max_digits=9,
                        null=True,
                    ),
                ),
                (
                    "threshold_comparison",
                    models.CharField(
                        choices=[("at_least", "at least (≥)"), ("at_most", "at most (≤)")],
                        default="at_least",
                        help_text="Numeric checks: a value clears the check when it is at least / at most the threshold.",
                        max_length=8,
                    ),
                ),
                (
                    "threshold_hard_stop",
                    models.BooleanField(
                        default=False,
                        help_text="Numeric checks: a value that does not clear blocks the dose and nobody can override it.",
                        verbose_name="outside the threshold is a hard stop",
                    ),
                ),
                (
                    "threshold_advice",
                    models.CharField(
                        blank=True,
                        help_text="Numeric checks: said when a value does not clear, e.g. 'do not dose'.",
                        max_length=255,
                    ),
                ),
                (
                    "default_validity_days",
                    models.PositiveIntegerField(
                        help_text="How long a result stays valid unless the nurse says otherwise.",
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(default=True, help_text="Inactive checks cannot be recorded any more."),
                ),
                ("notes", models.TextField(blank=True, help_text="Sources and what the answers mean.")),
            ],
            options={
                "verbose_name": "safety check",
                "ordering": ["name"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("result_type", "qualitative"), ("threshold__isnull", False), _connector="OR"
                        ),
                        name="checkkind_numeric_has_threshold",
                        violation_error_message="A numeric check needs a threshold.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="HistoricalCheckAnswer",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "code",
                    models.SlugField(help_text="Stable key stored with each result. Fixed once saved.", max_length=30),
                ),
                ("label", models.CharField(max_length=80)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("clears", "Clears the check"),
                            ("clears_warning", "Clears the check, with a warning to review"),
                            ("not_cleared", "Does not clear: blocks or warns as the drug's requirement says"),
                            ("hard_stop", "Hard stop: blocks the dose and nobody can override it"),
                        ],
                        max_length=14,
                    ),
                ),
                (
                    "advice",
                    models.CharField(
                        blank=True,
                        help_text="Said with this answer, e.g. 'delay the infusion until it has resolved'.",
                        max_length=255,
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, help_text="Order in the screening form.")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "check_kind",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="patients.checkkind",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical check answer",
                "verbose_name_plural": "historical check answers",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalCheckKind",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "code",
                    models.SlugField(
                        help_text="Stable key used by drug requirements, e.g. 'hep_b'. Fixed once saved.", max_length=30
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        db_index=True, help_text="As staff know it, e.g. 'Hepatitis B screening'.", max_length=120
                    ),
                ),
                (
                    "result_type",
                    models.CharField(
                        choices=[
                            ("qualitative", "Qualitative: one of the check's own answers"),
                            ("numeric", "Numeric: a measured value with its unit"),
                        ],
                        default="qualitative",
                        max_length=12,
                    ),
                ),
                (
                    "unit",
                    models.CharField(
                        blank=True, help_text="Numeric checks: the unit, e.g. '%' or '/mm³'.", max_length=20
                    ),
                ),
                (
                    "threshold",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Numeric checks: the value that clears it.",
                        max_digits=9,
                        null=True,
                    ),
                ),
                (
                    "threshold_comparison",
                    models.CharField(
                        choices=[("at_least", "at least (≥)"), ("at_most", "at most (≤)")],
                        default="at_least",
                        help_text="Numeric checks: a value clears the check when it is at least / at most the threshold.",
                        max_length=8,
                    ),
                ),
                (
                    "threshold_hard_stop",
                    models.BooleanField(
                        default=False,
                        help_text="Numeric checks: a value that does not clear blocks the dose and nobody can override it.",
                        verbose_name="outside the threshold is a hard stop",
                    ),
                ),
                (
                    "threshold_advice",
                    models.CharField(
                        blank=True,
                        help_text="Numeric checks: said when a value does not clear, e.g. 'do not dose'.",
                        max_length=255,
                    ),
                ),
                (
                    "default_validity_days",
                    models.PositiveIntegerField(
                        help_text="How long a result stays valid unless the nurse says otherwise.",
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(default=True, help_text="Inactive checks cannot be recorded any more."),
                ),
                ("notes", models.TextField(blank=True, help_text="Sources and what the answers mean.")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical safety check",
                "verbose_name_plural": "historical safety checks",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="CheckAnswer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.SlugField(help_text="Stable key stored with each result. Fixed once saved.", max_length=30),
                ),
                ("label", models.CharField(max_length=80)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("clears", "Clears the check"),
                            ("clears_warning", "Clears the check, with a warning to review"),
                            ("not_cleared", "Does not clear: blocks or warns as the drug's requirement says"),
                            ("hard_stop", "Hard stop: blocks the dose and nobody can override it"),
                        ],
                        max_length=14,
                    ),
                ),
                (
                    "advice",
                    models.CharField(
                        blank=True,
                        help_text="Said with this answer, e.g. 'delay the infusion until it has resolved'.",
                        max_length=255,
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, help_text="Order in the screening form.")),
                (
                    "check_kind",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="answers", to="patients.checkkind"
                    ),
                ),
            ],
            options={
                "ordering": ["check_kind", "position", "id"],
                "constraints": [models.UniqueConstraint(fields=("check_kind", "code"), name="checkanswer_code_unique")],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(migrate_screenings, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="historicalscreening",
            name="result",
            field=models.CharField(
                blank=True, help_text="Qualitative checks: the code of one of the check's answers.", max_length=30
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreening",
            name="value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Numeric checks: the measured value, in the check's unit (qualitative ones may add an index).",
                max_digits=9,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="screening",
            name="result",
            field=models.CharField(
                blank=True, help_text="Qualitative checks: the code of one of the check's answers.", max_length=30
            ),
        ),
        migrations.AlterField(
            model_name="screening",
            name="value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Numeric checks: the measured value, in the check's unit (qualitative ones may add an index).",
                max_digits=9,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreening",
            name="kind",
            field=models.ForeignKey(
                blank=True,
                db_column="kind",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="patients.checkkind",
                to_field="code",
                verbose_name="check",
            ),
        ),
        migrations.AlterField(
            model_name="screening",
            name="kind",
            field=models.ForeignKey(
                db_column="kind",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="screenings",
                to="patients.checkkind",
                to_field="code",
                verbose_name="check",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, unmigrate_screenings),
        migrations.RunPython(history_baseline, migrations.RunPython.noop),
    ]
