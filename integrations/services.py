"""Writes for the integration pages: import batches and FHIR API clients."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from integrations.imports.services import import_run
from integrations.models import FhirClient, ImportBatch


def import_batch_check(*, files: dict[str, tuple[str, str]], user) -> ImportBatch:
    """Dry-run the files and keep them with the report, for the user to import (all, or the valid rows)."""
    report = import_run(files=files, user=user, dry_run=True)
    return ImportBatch.objects.create(
        files={kind: text for kind, (_name, text) in files.items()},
        file_names={kind: name for kind, (name, _text) in files.items()},
        report=report.as_dict(),
        created_by=user,
    )


class BatchError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def import_batch_apply(*, batch: ImportBatch, user, valid_rows_only: bool) -> ImportBatch:
    """Import the batch's files (checked again against the data as it is now)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.CHECKED:
            raise BatchError("This import was already done or discarded: upload the files again.")
        files = {kind: (batch.file_names.get(kind, kind), text) for kind, text in batch.files.items()}
        report = import_run(files=files, user=user, dry_run=False, valid_rows_only=valid_rows_only)
        batch.report = report.as_dict()
        if report.imported:
            batch.status = ImportBatch.Status.IMPORTED
            batch.imported_at = timezone.now()
            batch.valid_rows_only = valid_rows_only
            batch.files = {}  # the data now lives in the records; keep no second copy
        batch.save()
    return batch


def import_batch_discard(*, batch: ImportBatch) -> ImportBatch:
    batch.status = ImportBatch.Status.DISCARDED
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
