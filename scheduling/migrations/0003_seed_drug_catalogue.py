"""Seeds the eight MS therapies of the center's reference, frozen here so the migration never changes.

Every value is editable in admin afterwards (and kept in the history). Where the reference flags a
CONFLICT or an UNCONFIRMED value, the conservative default is used and the drug's notes say so.
Premedication leads: the upper bound of each premedication's window ("30-60 min before" -> 60), so
the chair time covers the whole window.
"""

from decimal import Decimal

from django.db import migrations

STEROID_100 = {"drug_name": "Methylprednisolone (or equivalent corticosteroid)", "dose": "100 mg", "route": "IV",
               "minutes_before": 30, "required": True, "notes": "About 30 min before each infusion."}
ANTIHISTAMINE = {"drug_name": "Antihistamine (e.g. diphenhydramine)", "dose": "", "route": "IV/PO",
                 "minutes_before": 60, "required": True, "notes": "30-60 min before each infusion."}
ANTIPYRETIC = {"drug_name": "Antipyretic (e.g. acetaminophen)", "dose": "", "route": "PO",
               "minutes_before": 30, "required": False, "notes": "May be considered."}
ANTI_CD20_PREMEDS = [STEROID_100, ANTIHISTAMINE, ANTIPYRETIC]
ZUNOVO_PREMEDS = [
    {"drug_name": "Dexamethasone (or equivalent corticosteroid)", "dose": "20 mg", "route": "PO",
     "minutes_before": 30, "required": True, "notes": "At least 30 min before. Dose from a weak source: confirm."},
    {"drug_name": "Antihistamine (e.g. desloratadine)", "dose": "", "route": "PO",
     "minutes_before": 30, "required": True, "notes": "At least 30 min before. Dose UNCONFIRMED."},
    {"drug_name": "Acetaminophen", "dose": "", "route": "PO", "minutes_before": 30, "required": False,
     "notes": "May be considered."},
]
LEMTRADA_PREMEDS = [
    {"drug_name": "Methylprednisolone", "dose": "1,000 mg", "route": "IV", "minutes_before": 60, "required": True,
     "only_on_course_days": 3,
     "notes": "Immediately before Lemtrada on the first 3 days of each course; the steroid infusion itself takes >= 30 min."},
    {"drug_name": "Antihistamine and/or antipyretic", "dose": "", "route": "", "minutes_before": 30,
     "required": False, "notes": "May be considered."},
]

HEP_B_FIRST = {"kind": "hep_b", "when": "first", "blocking": True,
               "notes": "HBsAg and anti-HBc before the first dose; contraindicated with active HBV."}
INFECTION_EVERY = {"kind": "infection", "when": "every", "blocking": True, "max_age_days": 3,
                   "notes": "Check for active infection before each infusion; delay if present."}

CATALOGUE = [
    {
        "name": "Ocrevus (IV)", "brand_name": "Ocrevus", "generic_name": "ocrelizumab", "route": "IV",
        "is_anti_cd20": True, "reaction_window_hours": 24, "min_gap_days": 152, "colour": "#2f6db5",
        "notes": (
            "Minimum gap CONFLICT: 'at least 5 months' vs 'at least 20 weeks' (140 days); the conservative "
            "5 months (152 days) is used. Maintenance every 24 weeks (168 days), the first counted from "
            "infusion 1. Missed dose: next counted from the dose actually given. 2-h infusion rates UNCONFIRMED "
            "(take them from label Table 1). Label D&A revised 5/2026: re-verify."
        ),
        "requirements": [HEP_B_FIRST, INFECTION_EVERY],
        "phases": [
            {"name": "Initial dose, infusion 1", "dose_amount": "300", "infusion_minutes": 150,
             "observation_minutes": 60, "premeds": ANTI_CD20_PREMEDS},
            {"name": "Initial dose, infusion 2", "dose_amount": "300", "infusion_minutes": 150,
             "observation_minutes": 60, "interval_days": 14, "min_gap_days": 14, "window_late_days": 7,
             "premeds": ANTI_CD20_PREMEDS, "notes": "Day 15: two weeks after infusion 1."},
            {"name": "Maintenance", "dose_amount": "600", "infusion_minutes": 210, "short_infusion_minutes": 120,
             "short_infusion_rule": "no_serious_reaction", "observation_minutes": 60, "interval_days": 168,
             "interval_anchor": "first", "window_early_days": 16, "window_late_days": 14, "repeats": True,
             "premeds": ANTI_CD20_PREMEDS,
             "notes": "3.5 h standard; 2 h only with no prior serious infusion reaction to Ocrevus."},
        ],
    },
    {
        "name": "Ocrevus Zunovo (SC)", "brand_name": "Ocrevus Zunovo",
        "generic_name": "ocrelizumab and hyaluronidase-ocsq", "route": "SC", "is_anti_cd20": True,
        "reaction_window_hours": 24, "min_gap_days": 152, "colour": "#5b8fd1",
        "notes": (
            "Minimum gap UNCONFIRMED: the conservative 5 months (152 days) of IV Ocrevus is used. Reaction window "
            "UNCONFIRMED for the SC form: the anti-CD20 24 h is used. Desloratadine dose UNCONFIRMED; dexamethasone "
            "20 mg from a weak source. Not interchangeable with IV Ocrevus."
        ),
        "requirements": [HEP_B_FIRST, INFECTION_EVERY],
        "phases": [
            {"name": "First injection", "dose_amount": "920", "infusion_minutes": 10, "observation_minutes": 60,
             "premeds": ZUNOVO_PREMEDS, "notes": "920 mg / 23,000 units hyaluronidase SC in the abdomen over ~10 min."},
            {"name": "Subsequent injections", "dose_amount": "920", "infusion_minutes": 10, "observation_minutes": 15,
             "interval_days": 182, "window_early_days": 30, "window_late_days": 14, "repeats": True,
             "premeds": ZUNOVO_PREMEDS, "notes": "Every 6 months (182 days)."},
        ],
    },
    {
        "name": "Tysabri", "brand_name": "Tysabri", "generic_name": "natalizumab", "route": "IV",
        "safety_program": "TOUCH Prescribing Program (REMS)", "reaction_window_hours": 24, "min_gap_days": 24,
        "colour": "#2e9e6a",
        "notes": (
            "Every 4 weeks (28 days). No label tolerance window found (UNCONFIRMED): the center default books "
            "from day 24 to day 35. Observation 60 min after infusions 1-12; from infusion 13 by clinical "
            "judgement (0 min here) unless the patient has had a reaction. Hypersensitivity usually within 2 h "
            "of the start; after-visit advice uses 24 h as the conservative window. US JCV retest interval "
            "UNCONFIRMED (6 months used)."
        ),
        "requirements": [
            {"kind": "jcv", "when": "first", "blocking": True, "notes": "Anti-JCV antibody test before starting."},
            {"kind": "jcv", "when": "every", "blocking": False, "notes": "Retest every 6 months."},
            {"kind": "rems", "when": "every", "blocking": True,
             "notes": "TOUCH: the patient must be 'Authorized' before each infusion."},
        ],
        "phases": [
            {"name": "Every 4 weeks", "dose_amount": "300", "infusion_minutes": 60, "observation_minutes": 60,
             "reduced_observation_minutes": 0, "reduced_observation_from_infusion": 13, "interval_days": 28,
             "window_early_days": 4, "window_late_days": 7, "repeats": True, "premeds": [],
             "notes": "No premedication required. Never IV push or bolus."},
        ],
    },
    {
        "name": "Tyruko", "brand_name": "Tyruko", "generic_name": "natalizumab-sztn", "route": "IV",
        "safety_program": "TYRUKO REMS (separate from TOUCH)", "reaction_window_hours": 24, "min_gap_days": 24,
        "colour": "#52b788",
        "notes": (
            "Biosimilar of natalizumab, same dosing as Tysabri. Its REMS is separate from TOUCH; per-infusion REMS "
            "details UNCONFIRMED. 4-h post-dilution limit UNCONFIRMED. Same observation and window defaults as Tysabri."
        ),
        "requirements": [
            {"kind": "jcv", "when": "first", "blocking": True, "notes": "Anti-JCV antibody test before starting."},
            {"kind": "jcv", "when": "every", "blocking": False, "notes": "Retest every 6 months."},
            {"kind": "rems", "when": "every", "blocking": True, "notes": "TYRUKO REMS authorisation."},
        ],
        "phases": [
            {"name": "Every 4 weeks", "dose_amount": "300", "infusion_minutes": 60, "observation_minutes": 60,
             "reduced_observation_minutes": 0, "reduced_observation_from_infusion": 13, "interval_days": 28,
             "window_early_days": 4, "window_late_days": 7, "repeats": True, "premeds": []},
        ],
    },
    {
        "name": "Lemtrada", "brand_name": "Lemtrada", "generic_name": "alemtuzumab", "route": "IV",
        "safety_program": "LEMTRADA REMS", "reaction_window_hours": 48, "stroke_warning_days": 3,
        "min_gap_days": 365, "colour": "#c0567a",
        "notes": (
            "Course 1: 12 mg/day for 5 days; course 2: 3 days 12 months later; further courses if needed, at least "
            "12 months after the last dose. Course-2 anchor CONFLICT (first or last day of course 1): the "
            "conservative last day is used. Reaction window CONFLICT (24 h patient site, 48 h HCP site): 48 h, with "
            "stroke warning signs through day 3. Herpes prophylaxis from day 1 of each course."
        ),
        "requirements": [
            {"kind": "rems", "when": "every", "blocking": True, "notes": "LEMTRADA REMS enrolment."},
            {"kind": "lemtrada_labs", "when": "every", "blocking": True, "max_age_days": 31,
             "notes": "CBC with differential, creatinine, urinalysis monthly until 48 months after the last dose."},
        ],
        "phases": [
            {"name": "Course 1", "dose_amount": "12", "infusion_minutes": 240, "observation_minutes": 120,
             "consecutive_days": 5, "premeds": LEMTRADA_PREMEDS, "notes": "Plan a full day (7-8 h) per infusion day."},
            {"name": "Course 2", "dose_amount": "12", "infusion_minutes": 240, "observation_minutes": 120,
             "consecutive_days": 3, "interval_days": 365, "window_late_days": 30, "premeds": LEMTRADA_PREMEDS},
            {"name": "Additional course (if needed)", "dose_amount": "12", "infusion_minutes": 240,
             "observation_minutes": 120, "consecutive_days": 3, "interval_days": 365, "window_late_days": 60,
             "repeats": True, "premeds": LEMTRADA_PREMEDS,
             "notes": "Only if the neurologist decides; at least 12 months after the last dose of the prior course."},
        ],
    },
    {
        "name": "Briumvi", "brand_name": "Briumvi", "generic_name": "ublituximab-xiiy", "route": "IV",
        "is_anti_cd20": True, "reaction_window_hours": 24, "min_gap_days": 152, "colour": "#7a5cc2",
        "notes": (
            "Minimum gap of 5 months from the EU/UK SmPC; US wording UNCONFIRMED: 152 days used. Maintenance every "
            "24 weeks, the first counted from infusion 1. Observation 60 min after infusions 1 and 2; later at "
            "physician discretion (0 min here) unless the patient has had a reaction. 24-h reaction window "
            "UNCONFIRMED for Briumvi: the anti-CD20 24 h is used pending pharmacist sign-off."
        ),
        "requirements": [
            HEP_B_FIRST, INFECTION_EVERY,
            {"kind": "pregnancy", "when": "every", "blocking": True, "reproductive_potential_only": True,
             "notes": "Confirm pregnancy status in females of reproductive potential."},
        ],
        "phases": [
            {"name": "Infusion 1", "dose_amount": "150", "infusion_minutes": 240, "observation_minutes": 60,
             "premeds": ANTI_CD20_PREMEDS},
            {"name": "Infusion 2", "dose_amount": "450", "infusion_minutes": 60, "observation_minutes": 60,
             "interval_days": 14, "min_gap_days": 14, "window_late_days": 7, "premeds": ANTI_CD20_PREMEDS},
            {"name": "Maintenance", "dose_amount": "450", "infusion_minutes": 60, "observation_minutes": 60,
             "reduced_observation_minutes": 0, "reduced_observation_from_infusion": 3, "interval_days": 168,
             "interval_anchor": "first", "window_early_days": 16, "window_late_days": 14, "repeats": True,
             "premeds": ANTI_CD20_PREMEDS},
        ],
    },
    {
        "name": "Mitoxantrone", "brand_name": "Novantrone (generic)", "generic_name": "mitoxantrone", "route": "IV",
        "cumulative_limit_mg_m2": "140", "colour": "#d08a2c",
        "notes": (
            "12 mg/m2 every 3 months. Lifetime limit CONFLICT: 140 mg/m2 (US) vs 72 mg/m2 (EU SmPC); 140 used as "
            "in the US label - a center following the EU SmPC sets 72. Infusion time CONFLICT (label 5-15 min, "
            "protocols 15-30 min): 30 min of chair time budgeted. Observation UNCONFIRMED: 30 min set as the "
            "center default. Neutrophils >= 1,500/mm3, liver tests and urinalysis before each dose (local protocol)."
        ),
        "requirements": [
            {"kind": "lvef", "when": "every", "blocking": True, "max_age_days": 30, "min_value": "50",
             "notes": "LVEF by echo or MUGA before every dose; do not dose below 50%."},
            {"kind": "pregnancy", "when": "every", "blocking": True, "reproductive_potential_only": True,
             "notes": "Pregnancy test before each dose for women of child-bearing potential."},
        ],
        "phases": [
            {"name": "Every 3 months", "dose_amount": "12", "dose_unit": "mg/m2", "infusion_minutes": 30,
             "observation_minutes": 30, "interval_days": 91, "window_early_days": 7, "window_late_days": 14,
             "repeats": True,
             "premeds": [{"drug_name": "Ondansetron", "dose": "8 mg", "route": "PO", "minutes_before": 30,
                          "required": False, "notes": "Practice protocol, not label."}],
             "notes": "Slowly into a freely flowing IV line; never SC, IM, intra-arterial or intrathecal."},
        ],
    },
    {
        "name": "IV methylprednisolone (relapse)", "brand_name": "Solu-Medrol",
        "generic_name": "methylprednisolone sodium succinate", "route": "IV", "colour": "#8a8f98",
        "notes": (
            "1,000 mg once daily for 3-5 consecutive days (standard practice; the label's MS regimen differs). "
            "Infuse over at least 30 min (60 min default). Observation UNCONFIRMED: 30 min set as the center "
            "default. Not a maintenance therapy: book as an urgent multi-day block."
        ),
        "requirements": [
            {"kind": "infection", "when": "every", "blocking": False, "max_age_days": 3,
             "notes": "Rule out infection (e.g. urinary) before starting."},
            {"kind": "pregnancy", "when": "every", "blocking": False, "reproductive_potential_only": True,
             "notes": "Tell the team about a possible pregnancy."},
        ],
        "phases": [
            {"name": "Relapse course", "dose_amount": "1000", "infusion_minutes": 60, "observation_minutes": 30,
             "consecutive_days": 3, "consecutive_days_max": 5, "premeds": [],
             "notes": "Doses over 0.5 g given in under 10 min have caused arrhythmias."},
        ],
    },
]

DRUG_FIELDS = ("brand_name", "generic_name", "route", "safety_program", "is_anti_cd20", "reaction_window_hours",
               "stroke_warning_days", "min_gap_days", "colour", "notes")


def seed(apps, schema_editor):
    Drug = apps.get_model("scheduling", "Drug")
    RegimenPhase = apps.get_model("scheduling", "RegimenPhase")
    Premedication = apps.get_model("scheduling", "Premedication")
    ScreeningRequirement = apps.get_model("scheduling", "ScreeningRequirement")
    for entry in CATALOGUE:
        if Drug.objects.filter(name=entry["name"]).exists():
            continue
        values = {field: entry[field] for field in DRUG_FIELDS if field in entry}
        if "cumulative_limit_mg_m2" in entry:
            values["cumulative_limit_mg_m2"] = Decimal(entry["cumulative_limit_mg_m2"])
        drug = Drug.objects.create(name=entry["name"], **values)
        # Once requirements name a check of the catalogue (0020), that migration's seed creates them instead.
        for requirement in entry["requirements"] if not ScreeningRequirement._meta.get_field("kind").is_relation else ():
            requirement = dict(requirement)
            if "min_value" in requirement:
                requirement["min_value"] = Decimal(requirement["min_value"])
            ScreeningRequirement.objects.create(drug=drug, **requirement)
        for order, phase_data in enumerate(entry["phases"], start=1):
            phase_data = dict(phase_data)
            premeds = phase_data.pop("premeds")
            phase_data["dose_amount"] = Decimal(phase_data["dose_amount"])
            phase = RegimenPhase.objects.create(drug=drug, order=order, **phase_data)
            for premed in premeds:
                Premedication.objects.create(phase=phase, **premed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_no_overlap_constraints")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
