"""The staff roles as Django groups, with the permissions each may use.

Groups are (re)synchronised after every migrate, so a new permission reaches its role everywhere.
Views check permissions, never group names.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

SCHEDULER = "Scheduler"
NURSE = "Nurse"
CHARGE_NURSE = "Charge nurse"
DRUG_ADMIN = "Drug admin"
MANAGER = "Manager"
PHARMACY = "Pharmacy"

_VIEW_CATALOGUE = [
    "scheduling.view_drug",
    "scheduling.view_regimenphase",
    "scheduling.view_premedication",
    "scheduling.view_screeningrequirement",
    "scheduling.view_chair",
    "scheduling.view_openinghours",
    "scheduling.view_closure",
    "scheduling.view_nursestaffing",
    "patients.view_checkkind",
    "patients.view_checkanswer",
]

# Who sits where today, and whether a dose is authorised and prepared: nurses and managers run the floor with it.
_RUN_THE_FLOOR = [
    "daylist.add_chairassignment",
    "daylist.change_chairassignment",
    "daylist.delete_chairassignment",
    "daylist.view_chairassignment",
    "authorisations.view_authorisation",
    "pharmacy.view_preparation",
]

_NURSE = [
    "patients.view_patient",
    "patients.view_emergencycontact",
    "patients.add_screening",
    "patients.change_screening",
    "patients.view_screening",
    "scheduling.view_treatmentplan",
    "scheduling.view_appointment",
    "scheduling.perform_visit",
    "scheduling.add_premedicationgiven",
    "scheduling.view_premedicationgiven",
    "scheduling.add_infusionreaction",
    "scheduling.view_infusionreaction",
    "scheduling.view_readinessoverride",
    "scheduling.add_outsidedose",
    "scheduling.view_outsidedose",
    *_RUN_THE_FLOOR,
    *_VIEW_CATALOGUE,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SCHEDULER: [
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_patient",
        "patients.add_emergencycontact",
        "patients.change_emergencycontact",
        "patients.delete_emergencycontact",
        "patients.view_emergencycontact",
        "patients.view_screening",
        "scheduling.add_treatmentplan",
        "scheduling.change_treatmentplan",
        "scheduling.view_treatmentplan",
        "scheduling.add_appointment",
        "scheduling.change_appointment",
        "scheduling.view_appointment",
        "scheduling.view_infusionreaction",
        # re-optimisation proposals: ask for one, see it, accept or leave its moves
        "scheduling.add_reoptimisationproposal",
        "scheduling.view_reoptimisationproposal",
        "scheduling.change_reoptimisationproposal",
        "authorisations.add_authorisation",
        "authorisations.change_authorisation",
        "authorisations.view_authorisation",
        "pharmacy.view_preparation",
        "scheduling.view_outsidedose",
        "integrations.view_siu",
        *_VIEW_CATALOGUE,
    ],
    NURSE: _NURSE,
    # The nurse in charge of the shift: may override a blocking readiness check with a reason (never a hard stop).
    CHARGE_NURSE: [*_NURSE, "scheduling.override_readiness", "scheduling.add_readinessoverride"],
    DRUG_ADMIN: [
        *(
            f"scheduling.{action}_{model}"
            for model in ("drug", "regimenphase", "premedication", "screeningrequirement")
            for action in ("add", "change", "delete", "view")
        ),
        *(
            f"patients.{action}_{model}"
            for model in ("checkkind", "checkanswer")
            for action in ("add", "change", "delete", "view")
        ),
        *(
            f"replies.{action}_{model}"
            for model in ("symptomoption", "drugadvice")
            for action in ("add", "change", "delete", "view")
        ),
    ],
    MANAGER: [
        *(
            f"scheduling.{action}_{model}"
            for model in ("chair", "openinghours", "closure", "nursestaffing")
            for action in ("add", "change", "delete", "view")
        ),
        "scheduling.view_reports",
        "scheduling.view_reoptimisationproposal",
        "scheduling.view_appointment",
        "scheduling.view_treatmentplan",
        "scheduling.view_infusionreaction",
        "scheduling.view_readinessoverride",
        "patients.view_patient",
        "patients.view_screening",
        "patients.view_audit",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "axes.view_accessattempt",  # the sign-in lock-outs page
        "axes.delete_accessattempt",
        "integrations.run_import",
        "integrations.view_siu",
        "integrations.manage_fhir_clients",
        *_RUN_THE_FLOOR,
        "pharmacy.view_waste_report",
        *_VIEW_CATALOGUE,
    ],
    PHARMACY: [
        "patients.view_patient",
        "patients.view_screening",
        "scheduling.view_treatmentplan",
        "scheduling.view_appointment",
        "pharmacy.view_preparation",
        "pharmacy.prepare_dose",
        "pharmacy.view_waste_report",
        *_VIEW_CATALOGUE,
    ],
}

# Roles that work in Django admin (drug data; users for managers).
STAFF_ROLES = {DRUG_ADMIN, MANAGER}


def sync_roles(**kwargs) -> None:
    """Create the groups and give each exactly its permissions. Safe to run any number of times."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)
