"""Drug requirements name a check of the catalogue, say when (first dose, baseline, every dose, monthly, at an
interval), whether they block or warn and whether booking is gated too; the eight therapies get every check the
center's reference lists, blocking where it says so, the source in the notes.

`seed` is also what tests run to restore a migrated database; it updates the seeded drugs' requirements to
these values and leaves other drugs alone.
"""

import django.db.models.deletion
from django.db import migrations, models


B, W = True, False  # blocks / warns

# drug name -> [(check code, when, blocking, extra fields, notes with the source)]
REQUIREMENTS = {
    "Ocrevus (IV)": [
        ("hep_b", "first", B, {}, "HBsAg and anti-HBc before the first dose; active HBV contraindicated [S5][S1]."),
        ("immunoglobulins", "first", W, {}, "Quantitative serum immunoglobulins before the first dose [S5][S1]."),
        (
            "liver_tests",
            "first",
            W,
            {},
            "ALT, AST, alkaline phosphatase, bilirubin before the first dose (8/2025) [S5].",
        ),
        ("vaccinations", "first", W, {}, "Live >= 4 weeks, non-live >= 2 weeks before the first dose [S5]."),
        ("infection", "every", B, {"max_age_days": 3}, "Active infection before each infusion: delay [S1][S2]."),
    ],
    "Ocrevus Zunovo (SC)": [
        ("hep_b", "first", B, {}, "HBV screening before the first dose [S11][S12]."),
        ("immunoglobulins", "first", W, {}, "Quantitative immunoglobulins before the first dose [S11][S12]."),
        ("infection", "every", B, {"max_age_days": 3}, "Assess for active infection before each dose [S11][S12]."),
    ],
    "Tysabri": [
        ("rems", "every", B, {}, "TOUCH: the patient must be 'Authorized' before each infusion [S17][S20]."),
        ("jcv", "first", B, {}, "Anti-JCV antibody test before starting [S17]."),
        ("jcv", "every", W, {}, "Retest every 6 months [S27]; the US interval is UNCONFIRMED."),
        ("mri", "first", W, {}, "MRI before starting [S21]."),
        (
            "clinical_review",
            "periodic",
            W,
            {"max_age_days": 182},
            "Clinical review 3 and 6 months after the first infusion, then every 6 months [S19][S17].",
        ),
        (
            "preinfusion_questions",
            "every",
            W,
            {},
            "Infection, new symptoms, past reactions before each infusion [S15].",
        ),
    ],
    "Tyruko": [
        ("rems", "every", B, {}, "TYRUKO REMS authorisation (separate from TOUCH) [S24]."),
        ("jcv", "first", B, {}, "Anti-JCV antibody test before starting [S17][S25]."),
        ("jcv", "every", W, {}, "Retest every 6 months [S27]; the US interval is UNCONFIRMED."),
        ("mri", "first", W, {}, "MRI before starting (natalizumab) [S21]."),
        (
            "clinical_review",
            "periodic",
            W,
            {"max_age_days": 182},
            "Clinical review 3 and 6 months after the first infusion, then every 6 months (natalizumab) [S19].",
        ),
        (
            "preinfusion_questions",
            "every",
            W,
            {},
            "Infection, new symptoms, past reactions before each infusion [S15].",
        ),
    ],
    "Lemtrada": [
        ("rems", "every", B, {}, "LEMTRADA REMS: enrolled patients only [S35][S31]."),
        ("cbc", "baseline", B, {}, "CBC with differential at baseline (boxed warning) [S34]."),
        ("cbc", "monthly", B, {}, "Monthly until 48 months after the last dose [S34]."),
        ("creatinine", "baseline", B, {}, "Serum creatinine at baseline (boxed warning) [S34]."),
        ("creatinine", "monthly", B, {}, "Monthly until 48 months after the last dose [S34]."),
        ("urinalysis", "baseline", B, {}, "Urinalysis with urine cell counts at baseline (boxed warning) [S34]."),
        ("urinalysis", "monthly", B, {}, "Monthly until 48 months after the last dose [S34]."),
        ("thyroid", "baseline", W, {}, "Thyroid function tests [S36] (payer policy)."),
        ("thyroid", "periodic", W, {"max_age_days": 92}, "Every 3 months [S36] (payer policy)."),
        ("hiv", "baseline", B, {}, "HIV infection is a contraindication [S32]."),
        ("tb", "baseline", W, {}, "TB screening before treatment [S78] (weak)."),
        ("vzv", "baseline", W, {}, "VZV status before treatment [S78] (weak)."),
        ("hep_c", "baseline", W, {}, "Baseline screening; not in the retrieved sources: confirm with the pharmacist."),
        ("skin_exam", "baseline", W, {}, "Skin exam before treatment [S32]."),
        ("skin_exam", "periodic", W, {"max_age_days": 365}, "Yearly skin exams [S32]."),
        ("vaccinations", "first", W, {}, "Vaccines >= 6 weeks before treatment [S78] (weak)."),
        (
            "herpes_prophylaxis",
            "baseline",
            W,
            {},
            "Oral antiviral herpes prophylaxis from day 1 of each course [S33][S39].",
        ),
    ],
    "Briumvi": [
        ("hep_b", "first", B, {}, "HBV screening before the first dose; active HBV contraindicated [S40]."),
        ("immunoglobulins", "first", W, {}, "Quantitative immunoglobulins before the first dose [S40]."),
        ("liver_tests", "first", W, {}, "Liver tests before the first dose (8/2025) [S40]."),
        ("vaccinations", "first", W, {}, "Live >= 4 weeks, non-live >= 2 weeks before the first dose [S40]."),
        (
            "infection",
            "every",
            B,
            {"max_age_days": 3},
            "Active-infection check before every infusion: delay [S40][S43].",
        ),
        (
            "pregnancy",
            "every",
            B,
            {"reproductive_potential_only": True},
            "Confirm pregnancy status in females of reproductive potential [S40][S43].",
        ),
    ],
    "Mitoxantrone": [
        (
            "lvef",
            "every",
            B,
            {"max_age_days": 30, "gates_booking": True},
            "LVEF by echo or MUGA before every dose, do not dose below 50% [S47][S51]; gates scheduling [S47].",
        ),
        (
            "anc",
            "every",
            B,
            {"max_age_days": 14},
            "Do not give if neutrophils < 1,500 cells/mm³ (boxed warning) [S48].",
        ),
        ("cbc", "every", W, {}, "CBC before each infusion [S49]."),
        ("liver_tests", "every", W, {}, "Liver tests before each infusion [S49]."),
        ("chemistry", "every", W, {}, "Chemistry before each infusion [S49]."),
        ("urinalysis", "every", B, {}, "Urinalysis before each infusion; hold for UTI [S49]."),
        (
            "pregnancy",
            "every",
            B,
            {"reproductive_potential_only": True},
            "Pregnancy test before each dose for women of child-bearing potential [S52].",
        ),
    ],
    "IV methylprednisolone (relapse)": [
        ("infection", "every", W, {"max_age_days": 3}, "Rule out infection (e.g. urinary) before starting [S62]."),
        (
            "pregnancy",
            "every",
            W,
            {"reproductive_potential_only": True},
            "Tell the team about a possible pregnancy [S62].",
        ),
        ("steroid_review", "every", W, {}, "Diabetes (raises blood sugar) and mental health history [S62]."),
    ],
}
RETIRED_KINDS = ("lemtrada_labs",)  # replaced by cbc, creatinine and urinalysis


def seed(apps, schema_editor):
    _checks_now(schema_editor)
    Drug = apps.get_model("scheduling", "Drug")
    ScreeningRequirement = apps.get_model("scheduling", "ScreeningRequirement")
    for drug in Drug.objects.filter(name__in=list(REQUIREMENTS)):
        ScreeningRequirement.objects.filter(drug=drug, kind_id__in=RETIRED_KINDS).delete()
        for code, when, blocking, extra, notes in REQUIREMENTS[drug.name]:
            defaults = {
                "blocking": blocking,
                "notes": notes,
                "max_age_days": extra.get("max_age_days"),
                "gates_booking": extra.get("gates_booking", False),
                "reproductive_potential_only": extra.get("reproductive_potential_only", False),
                "min_value": None,
            }
            ScreeningRequirement.objects.update_or_create(drug=drug, kind_id=code, when=when, defaults=defaults)


LEGACY_CODES = ("hep_b", "jcv", "lvef", "infection", "pregnancy", "rems", "lemtrada_labs")


def unseed(apps, schema_editor):
    """Back to requirements before the catalogue: only first/every dose on the old kinds (Lemtrada's combined
    monthly labs again); the history of newer ones is cut to fit the old columns."""
    _checks_now(schema_editor)
    Drug = apps.get_model("scheduling", "Drug")
    ScreeningRequirement = apps.get_model("scheduling", "ScreeningRequirement")
    HistoricalRequirement = apps.get_model("scheduling", "HistoricalScreeningRequirement")
    ScreeningRequirement.objects.exclude(kind_id__in=LEGACY_CODES, when__in=("first", "every")).delete()
    for drug in Drug.objects.filter(name="Lemtrada"):
        ScreeningRequirement.objects.get_or_create(
            drug=drug, kind_id="lemtrada_labs", when="every", defaults={"blocking": True, "max_age_days": 31}
        )
    for row in HistoricalRequirement.objects.exclude(kind_id__in=LEGACY_CODES, when__in=("first", "every")):
        row.kind_id, row.when = row.kind_id[:20], row.when[:5]
        row.save(update_fields=["kind", "when"])


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
    _history_baseline(apps, "scheduling", ("ScreeningRequirement",))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0020_check_catalogue"),
        ("scheduling", "0011_drug_ingredients"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalscreeningrequirement",
            name="gates_booking",
            field=models.BooleanField(
                default=False,
                help_text="A dose cannot be booked without a current result that clears the check (e.g. mitoxantrone echo).",
                verbose_name="booking is gated too",
            ),
        ),
        migrations.AddField(
            model_name="screeningrequirement",
            name="gates_booking",
            field=models.BooleanField(
                default=False,
                help_text="A dose cannot be booked without a current result that clears the check (e.g. mitoxantrone echo).",
                verbose_name="booking is gated too",
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreeningrequirement",
            name="blocking",
            field=models.BooleanField(
                default=True,
                help_text="Missing or not cleared blocks the infusion (a charge nurse may override); else warns.",
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreeningrequirement",
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
            model_name="historicalscreeningrequirement",
            name="max_age_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Must have been taken within this many days; empty uses its own validity (monthly: 31 days).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreeningrequirement",
            name="min_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Numeric checks: a stricter threshold for this drug; empty uses the check's own.",
                max_digits=9,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreeningrequirement",
            name="notes",
            field=models.CharField(blank=True, help_text="The source of the requirement.", max_length=255),
        ),
        migrations.AlterField(
            model_name="historicalscreeningrequirement",
            name="when",
            field=models.CharField(
                choices=[
                    ("first", "Before the first dose"),
                    ("baseline", "At baseline: before the first dose and the first day of each later course"),
                    ("every", "Before every dose"),
                    ("monthly", "Monthly while on treatment (from the second dose)"),
                    (
                        "periodic",
                        "At a set interval while on treatment (from the second dose; the interval is the age)",
                    ),
                ],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="blocking",
            field=models.BooleanField(
                default=True,
                help_text="Missing or not cleared blocks the infusion (a charge nurse may override); else warns.",
            ),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="kind",
            field=models.ForeignKey(
                db_column="kind",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="requirements",
                to="patients.checkkind",
                to_field="code",
                verbose_name="check",
            ),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="max_age_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Must have been taken within this many days; empty uses its own validity (monthly: 31 days).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="min_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Numeric checks: a stricter threshold for this drug; empty uses the check's own.",
                max_digits=9,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="notes",
            field=models.CharField(blank=True, help_text="The source of the requirement.", max_length=255),
        ),
        migrations.AlterField(
            model_name="screeningrequirement",
            name="when",
            field=models.CharField(
                choices=[
                    ("first", "Before the first dose"),
                    ("baseline", "At baseline: before the first dose and the first day of each later course"),
                    ("every", "Before every dose"),
                    ("monthly", "Monthly while on treatment (from the second dose)"),
                    (
                        "periodic",
                        "At a set interval while on treatment (from the second dose; the interval is the age)",
                    ),
                ],
                max_length=8,
            ),
        ),
        migrations.RunPython(seed, unseed),
        migrations.RunPython(history_baseline, migrations.RunPython.noop),
    ]
