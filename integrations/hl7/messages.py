"""HL7 v2.5 SIU messages about an appointment, built and validated with hl7apy; ACKs read back with it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message

# SCH-25 filler status codes (HL7 table 0278) per event
FILLER_STATUS = {"S12": "Booked", "S13": "Booked", "S14": "Booked", "S15": "Cancelled", "S26": "Noshow"}
EVENT_REASON = {
    "S12": "Booked",
    "S13": "Rescheduled",
    "S14": "Modified",
    "S15": "Cancelled",
    "S26": "No-show",
}
HL7_SEX = {"F": "F", "M": "M", "X": "U"}


def _ts(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S")


def _escape(text: str) -> str:
    """Text for one HL7 component: the delimiters are escaped, never passed through."""
    for char, escape in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        text = text.replace(char, escape)
    return text.replace("\r", " ").replace("\n", " ")


def siu_message(appointment, *, event: str, control_id: str, now: datetime.datetime | None = None) -> str:
    """The SIU^<event> message for the appointment as it is now, in ER7, validated against the 2.5 structure."""
    now = now or timezone.now()
    patient = appointment.patient
    drug = appointment.phase.drug
    m = Message(f"SIU_{event}", version="2.5", validation_level=VALIDATION_LEVEL.STRICT)
    m.msh.msh_3 = _escape(settings.HL7_SENDING_APPLICATION)
    m.msh.msh_4 = _escape(settings.HL7_SENDING_FACILITY)
    m.msh.msh_5 = _escape(settings.HL7_RECEIVING_APPLICATION)
    m.msh.msh_6 = _escape(settings.HL7_RECEIVING_FACILITY)
    m.msh.msh_7 = _ts(now)
    m.msh.msh_9 = f"SIU^{event}^SIU_{event}"
    m.msh.msh_10 = control_id
    m.msh.msh_11 = "P"
    m.msh.msh_12 = "2.5"
    application = _escape(settings.HL7_SENDING_APPLICATION)
    minutes = appointment.chair_minutes
    m.sch.sch_2 = f"{appointment.uid}^{application}"
    m.sch.sch_6 = f"{event}^{EVENT_REASON[event]}^HL70276"
    m.sch.sch_7 = f"INFUSION^{_escape(drug.name)} infusion"
    m.sch.sch_9 = str(minutes)
    m.sch.sch_10 = "min"
    m.sch.sch_11 = f"^^{minutes}^{_ts(appointment.premed_start)}^{_ts(appointment.observation_end)}"
    m.sch.sch_16 = f"^{_escape(settings.CENTER_NAME)}"
    m.sch.sch_20 = f"^{application}"
    m.sch.sch_25 = FILLER_STATUS[event]
    patient_group = m.add_group(f"SIU_{event}_PATIENT")
    pid = patient_group.pid
    pid.pid_3 = f"{_escape(patient.mrn)}^^^{_escape(settings.HL7_SENDING_FACILITY)}^MR"
    pid.pid_5 = f"{_escape(patient.last_name)}^{_escape(patient.first_name)}"
    pid.pid_7 = patient.date_of_birth.strftime("%Y%m%d")
    pid.pid_8 = HL7_SEX.get(patient.sex, "U")
    resources = m.add_group(f"SIU_{event}_RESOURCES")
    resources.rgs.rgs_1 = "1"
    service = resources.add_group(f"SIU_{event}_SERVICE")
    service.ais.ais_1 = "1"
    service.ais.ais_3 = f"{drug.pk}^{_escape(drug.name)} infusion^L"
    service.ais.ais_4 = _ts(appointment.premed_start)
    service.ais.ais_7 = str(minutes)
    service.ais.ais_8 = "min"
    location = resources.add_group(f"SIU_{event}_LOCATION_RESOURCE")
    location.ail.ail_1 = "1"
    location.ail.ail_3 = f"^^^{_escape(settings.HL7_SENDING_FACILITY)}^^^^^{_escape(appointment.chair.name)}"
    location.ail.ail_6 = _ts(appointment.premed_start)
    m.validate()
    return m.to_er7()


@dataclass(frozen=True)
class Ack:
    code: str  # AA, AE, AR (or CA/CE/CR in enhanced mode)
    control_id: str
    text: str

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")


def ack_read(text: str) -> Ack:
    """MSA-1 and MSA-2 of an ACK; raises ValueError when the answer is not an ACK."""
    try:
        message = parse_message(text.replace("\n", "\r").strip(), find_groups=False)
        msa = message.msa
        code = msa.msa_1.to_er7()
        control_id = msa.msa_2.to_er7()
        detail = msa.msa_3.to_er7() if msa.msa_3 else ""
    except Exception as exc:  # noqa: BLE001 - anything unreadable is the same answer: not an ACK
        raise ValueError(f"The answer is not an HL7 ACK: {text[:200]!r}") from exc
    if not code:
        raise ValueError(f"The answer has no acknowledgement code: {text[:200]!r}")
    return Ack(code, control_id, detail)
