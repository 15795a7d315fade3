"""Our records as FHIR R4 resources, built and validated with the fhir.resources R4B models (R4-compatible)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

FHIR_VERSION = "4.0.1"
DRUG_SYSTEM = "urn:infusion-center:drug"
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "MRN"}
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

# Our appointment status -> FHIR Appointment.status
APPOINTMENT_STATUS = {
    "scheduled": "booked",
    "checked_in": "arrived",
    "premedicated": "arrived",
    "infusing": "arrived",
    "observing": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
FHIR_GENDER = {"F": "female", "M": "male", "X": "other"}


def mrn_system() -> str:
    return f"{settings.CENTER_SITE_URL}/fhir/sid/mrn"


def instant(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def chair_id(chair_pk: int) -> str:
    return f"chair-{chair_pk}"


def patient_resource(patient) -> FhirPatient:
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    data = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": instant(patient.updated_at)},
        "identifier": [{"use": "usual", "type": MRN_TYPE, "system": mrn_system(), "value": patient.mrn}],
        "active": True,
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "gender": FHIR_GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if telecom:
        data["telecom"] = telecom
    if patient.address:
        data["address"] = [{"text": patient.address}]
    contacts = [
        {
            "relationship": [{"text": c.relationship}] if c.relationship else None,
            "name": {"text": c.name},
            "telecom": [{"system": "phone", "value": c.phone}],
        }
        for c in patient.emergency_contacts.all()
    ]
    if contacts:
        data["contact"] = [{k: v for k, v in c.items() if v is not None} for c in contacts]
    return FhirPatient.model_validate(data)


def drug_concept(drug) -> dict:
    label = f"{drug.name} infusion" if drug.route == "IV" else f"{drug.name} injection"
    return {"coding": [{"system": DRUG_SYSTEM, "code": str(drug.pk), "display": label}], "text": label}


def appointment_resource(appointment, *, nurse: str | None = None) -> FhirAppointment:
    status = APPOINTMENT_STATUS[appointment.status]
    drug = appointment.phase.drug
    participants = [
        {
            "actor": {"reference": f"Patient/{appointment.patient_id}", "display": appointment.patient.full_name},
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": {"reference": f"Location/{chair_id(appointment.chair_id)}", "display": appointment.chair.name},
            "required": "required",
            "status": "accepted",
        },
    ]
    if nurse:
        participants.append(
            {
                "type": [{"coding": [{"system": PARTICIPATION, "code": "PPRF", "display": "primary performer"}]}],
                "actor": {"display": nurse},
                "required": "information-only",
                "status": "accepted",
            }
        )
    data = {
        "resourceType": "Appointment",
        "id": str(appointment.uid),
        "meta": {"lastUpdated": instant(appointment.updated_at), "versionId": str(appointment.ics_sequence + 1)},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{appointment.uid}"}],
        "status": status,
        "serviceType": [drug_concept(drug)],
        "description": f"{drug.name}: {appointment.phase.name}, {appointment.dose_mg.normalize():f} mg",
        "start": instant(appointment.premed_start),
        "end": instant(appointment.observation_end),
        "minutesDuration": appointment.chair_minutes,
        "created": instant(appointment.created_at),
        "participant": participants,
    }
    if status == "cancelled" and appointment.cancel_reason:
        data["cancelationReason"] = {"text": appointment.cancel_reason}
    return FhirAppointment.model_validate(data)


def location_resource(chair) -> Location:
    data = {
        "resourceType": "Location",
        "id": chair_id(chair.pk),
        "status": "active" if chair.is_active else "inactive",
        "name": chair.name,
        "mode": "instance",
        "physicalType": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                    "code": "bd",
                    "display": "Bed",
                }
            ],
            "text": "Infusion chair",
        },
    }
    if chair.notes:
        data["description"] = chair.notes
    return Location.model_validate(data)


def schedule_resource(chair) -> Schedule:
    return Schedule.model_validate(
        {
            "resourceType": "Schedule",
            "id": chair_id(chair.pk),
            "active": chair.is_active,
            "actor": [{"reference": f"Location/{chair_id(chair.pk)}", "display": chair.name}],
            "comment": f"Infusion chair {chair.name}: free slots are found per patient's next dose (Slot?patient=).",
        }
    )


def slot_resource(slot, *, plan, drug) -> FhirSlot:
    day = slot.days[0]
    comment = slot.reason or ""
    if len(slot.days) > 1:
        comment = f"A {len(slot.days)}-day course at the same time each day. {comment}".strip()
    data = {
        "resourceType": "Slot",
        "id": f"{plan.pk}.{slot.chair_id}.{int(day.premed_start.timestamp()) // 60}",
        "schedule": {"reference": f"Schedule/{chair_id(slot.chair_id)}", "display": slot.chair_name},
        "serviceType": [drug_concept(drug)],
        "status": "free",
        "start": instant(day.premed_start),
        "end": instant(day.observation_end),
    }
    if comment:
        data["comment"] = comment
    return FhirSlot.model_validate(data)


def operation_outcome(code: str, text: str, *, severity: str = "error") -> OperationOutcome:
    return OperationOutcome.model_validate(
        {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}
    )


def searchset(resources, *, total: int, links: dict[str, str], base: str, outcome=None) -> Bundle:
    entries = [
        {
            "fullUrl": f"{base}/{r.get_resource_type()}/{r.id}",
            "resource": r.model_dump(mode="json", exclude_none=True),
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    if outcome is not None:
        entries.append({"resource": outcome.model_dump(mode="json", exclude_none=True), "search": {"mode": "outcome"}})
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": instant(timezone.now()),
            "total": total,
            "link": [{"relation": rel, "url": url} for rel, url in links.items()],
            "entry": entries,
        }
    )


SEARCH_PARAMS = {
    "Patient": [("_id", "token"), ("identifier", "token"), ("name", "string"), ("birthdate", "date")],
    "Appointment": [
        ("_id", "token"),
        ("date", "date"),
        ("patient", "reference"),
        ("actor", "reference"),
        ("location", "reference"),
        ("status", "token"),
        ("service-type", "token"),
    ],
    "Schedule": [("_id", "token"), ("active", "token"), ("actor", "reference")],
    "Slot": [
        ("schedule", "reference"),
        ("start", "date"),
        ("patient", "reference"),
        ("service-type", "token"),
        ("status", "token"),
    ],
    "Location": [("_id", "token"), ("name", "string"), ("status", "token")],
}


def capability_statement(base: str) -> CapabilityStatement:
    resources = []
    for kind, params in SEARCH_PARAMS.items():
        interactions = [{"code": "search-type"}] if kind == "Slot" else [{"code": "read"}, {"code": "search-type"}]
        resources.append(
            {
                "type": kind,
                "interaction": interactions,
                "searchParam": [{"name": n, "type": t} for n, t in params + [("_count", "number")]],
            }
        )
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": instant(timezone.now()),
            "publisher": settings.CENTER_NAME,
            "kind": "instance",
            "software": {"name": "MS infusion center scheduling"},
            "implementation": {"description": f"{settings.CENTER_NAME} scheduling", "url": base},
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Read-only. OAuth 2.0 client credentials: POST /o/token/ for a bearer token "
                    "with system/<Resource>.read scopes.",
                    "security": {
                        "cors": False,
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                        "code": "OAuth",
                                    }
                                ]
                            }
                        ],
                    },
                    "resource": resources,
                }
            ],
        }
    )
