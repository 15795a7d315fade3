"""Hospital integration: import batches (the files and their dry run), and the outbox of HL7 v2 SIU messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """Files uploaded for an import, kept until applied so the dry run and the import read the very same rows."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        CHECKED = "checked", "Checked (dry run)"
        IMPORTING = "importing", "Being imported"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"
        FAILED = "failed", "Failed"

    WORKING = (Status.CHECKING, Status.IMPORTING)

    files = models.JSONField(help_text="Kind of file -> its text, as uploaded.")
    file_names = models.JSONField(default=dict)
    report = models.JSONField(default=dict, help_text="The last dry run or import: rows, actions and errors.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    error = models.TextField(blank=True, help_text="Why the check or the import could not run.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    valid_rows_only = models.BooleanField(default=False, help_text="Imported the valid rows and skipped the others.")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("run_import", "Can import patients, plans, past doses and screenings")]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_status_display()})"


class SiuMessage(models.Model):
    """One HL7 v2 SIU message about one appointment change, written in the change's transaction and delivered in
    order over MLLP. The row is the source of truth; Celery only delivers it."""

    class Event(models.TextChoices):
        S12 = "S12", "Booked (S12)"
        S13 = "S13", "Rescheduled (S13)"
        S14 = "S14", "Modified (S14)"
        S15 = "S15", "Cancelled (S15)"
        S26 = "S26", "No-show (S26)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Accepted (AA)"
        REJECTED = "rejected", "Refused by the EHR"

    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, related_name="siu_messages"
    )
    appointment_uid = models.UUIDField(help_text="The filler appointment id sent (SCH-2).")
    event = models.CharField(max_length=3, choices=Event.choices)
    control_id = models.CharField(max_length=20, unique=True, help_text="MSH-10, echoed by the ACK.")
    payload = models.TextField(help_text="The message in ER7 (pipe) encoding.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    ack_code = models.CharField(max_length=2, blank=True, help_text="MSA-1: AA, AE or AR.")
    ack_text = models.TextField(blank=True, help_text="The acknowledgement as received.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "SIU message"
        indexes = [models.Index(fields=["status", "id"], name="siu_status_idx")]
        permissions = [("view_siu", "Can view the HL7 messages sent to the EHR")]

    def __str__(self) -> str:
        return f"SIU^{self.event} {self.control_id} ({self.get_status_display()})"


class SiuChannel(models.Model):
    """A single row locked while a worker delivers, so messages leave one at a time and in order."""

    name = models.CharField(max_length=20, unique=True, default="ehr")


class FhirClient(models.Model):
    """A system registered by a manager to read the FHIR API: its OAuth 2.0 application and the scopes it may ask."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="fhir_client"
    )
    scopes = models.JSONField(default=list, help_text="The scopes this client may be granted.")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name"]
        permissions = [("manage_fhir_clients", "Can register systems that read the FHIR API")]

    def __str__(self) -> str:
        return self.application.name
