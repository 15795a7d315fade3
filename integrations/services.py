"""Writes for the integration pages: import batches (checked and imported by a Celery task, so a large file never
holds a web request) and FHIR API clients."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from integrations.imports.services import import_run
from integrations.models import FhirClient, ImportBatch

logger = logging.getLogger(__name__)
B = ImportBatch.Status


class BatchError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _queue(batch: ImportBatch) -> None:
    from integrations.tasks import import_batch_run

    def send() -> None:
        try:
            import_batch_run.delay(batch.pk)
        except Exception as exc:  # noqa: BLE001 - the broker is down: say so instead of waiting forever
            logger.exception("Import batch %s could not be queued", batch.pk)
            ImportBatch.objects.filter(pk=batch.pk, status__in=ImportBatch.WORKING).update(
                status=B.FAILED, error=f"The background worker could not be reached ({exc}). Upload the files again."
            )

    transaction.on_commit(send)


@transaction.atomic
def import_batch_create(*, files: dict[str, tuple[str, str]], user) -> ImportBatch:
    """Keep the uploaded files and queue their dry run."""
    batch = ImportBatch.objects.create(
        files={kind: text for kind, (_name, text) in files.items()},
        file_names={kind: name for kind, (name, _text) in files.items()},
        created_by=user,
    )
    _queue(batch)
    return batch


@transaction.atomic
def import_batch_request(*, batch: ImportBatch, user, valid_rows_only: bool) -> ImportBatch:
    """Queue the import of a checked batch (all rows, or the valid rows only)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != B.CHECKED:
        raise BatchError("This import is not waiting for a decision (already done, discarded or running).")
    batch.status = B.IMPORTING
    batch.valid_rows_only = valid_rows_only
    batch.imported_by = user
    batch.save(update_fields=["status", "valid_rows_only", "imported_by"])
    _queue(batch)
    return batch


def import_batch_run(*, batch_id: int) -> str:
    """The task's work: the dry run of a new batch, or the import of one the user confirmed."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status not in ImportBatch.WORKING:
            return "nothing to do"
        files = {kind: (batch.file_names.get(kind, kind), text) for kind, text in batch.files.items()}
        importing = batch.status == B.IMPORTING
        user = batch.imported_by if importing else batch.created_by
        try:
            with transaction.atomic():
                report = import_run(
                    files=files, user=user, dry_run=not importing, valid_rows_only=batch.valid_rows_only
                )
        except Exception as exc:  # noqa: BLE001 - shown to the manager; nothing was written (rolled back)
            logger.exception("Import batch %s failed", batch_id)
            batch.status = B.FAILED
            batch.error = f"The import stopped on an unexpected problem and wrote nothing: {exc}"[:2000]
            batch.files = {}
            batch.save(update_fields=["status", "error", "files"])
            return "failed"
        batch.report = report.as_dict()
        if report.imported:
            batch.status = B.IMPORTED
            batch.imported_at = timezone.now()
            batch.files = {}  # the data now lives in the records; keep no second copy
        else:
            batch.status = B.CHECKED  # checked, or refused because of errors: the manager decides again
        batch.save()
        return batch.status


def import_batch_discard(*, batch: ImportBatch) -> ImportBatch:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != B.CHECKED:
            raise BatchError("Only a checked import waiting for a decision can be discarded.")
        batch.status = B.DISCARDED
        batch.files = {}
        batch.save(update_fields=["status", "files"])
    return batch


@dataclass(frozen=True)
class RegisteredClient:
    client: FhirClient
    client_secret: str  # shown once: only its hash is stored


@transaction.atomic
def fhir_client_register(*, name: str, scopes: list[str], user) -> RegisteredClient:
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        user=None,
    )
    client = FhirClient.objects.create(application=application, scopes=sorted(scopes), registered_by=user)
    return RegisteredClient(client, secret)


@transaction.atomic
def fhir_client_revoke(*, client: FhirClient) -> None:
    """The client's tokens stop working at once."""
    client.application.delete()
