"""Manager and staff pages: the import, the SIU messages sent to the EHR, the FHIR API clients."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from integrations import services
from integrations.forms import FhirClientForm, ImportUploadForm
from integrations.hl7.services import SiuError, siu_enabled, siu_resend
from integrations.imports.columns import COLUMNS, CSV_KINDS, KIND_LABELS, template_csv
from integrations.models import FhirClient, ImportBatch, SiuMessage


@login_required
@permission_required("integrations.run_import", raise_exception=True)
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = services.import_batch_create(files=form.cleaned_data["files"], user=request.user)
        return redirect("integrations:import-batch", pk=batch.pk)
    columns = [(kind, KIND_LABELS[kind], COLUMNS[kind]) for kind in CSV_KINDS]
    recent = ImportBatch.objects.select_related("created_by").order_by("-created_at")[:10]
    return render(request, "integrations/import.html", {"form": form, "columns": columns, "recent": recent})


@login_required
@permission_required("integrations.run_import", raise_exception=True)
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("import", "import_valid", "discard"):
            raise Http404
        try:
            if action == "discard":
                services.import_batch_discard(batch=batch)
                messages.info(request, "The import was discarded; nothing was written.")
                return redirect("integrations:import")
            services.import_batch_request(batch=batch, user=request.user, valid_rows_only=action == "import_valid")
        except services.BatchError as exc:
            messages.error(request, exc.message)
        return redirect("integrations:import-batch", pk=batch.pk)
    report = batch.report
    rows = report.get("rows", [])
    errors = [e for r in rows for e in r["errors"]]
    refused = batch.status == ImportBatch.Status.CHECKED and not report.get("dry_run", True)
    return render(
        request,
        "integrations/import_batch.html",
        {
            "batch": batch,
            "report": report,
            "rows": rows,
            "errors": errors,
            "working": batch.status in ImportBatch.WORKING,
            "refused": refused,
        },
    )


@login_required
@permission_required("integrations.run_import", raise_exception=True)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in CSV_KINDS:
        raise Http404
    response = HttpResponse(template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@login_required
@permission_required("integrations.view_siu", raise_exception=True)
def siu_outbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = SiuMessage.objects.select_related("appointment__patient").order_by("-id")
    if status in SiuMessage.Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/siu_outbox.html",
        {
            "page": page,
            "siu_messages": page.object_list,
            "status": status,
            "statuses": SiuMessage.Status.choices,
            "siu_enabled": siu_enabled(),
        },
    )


@login_required
@permission_required("integrations.view_siu", raise_exception=True)
@require_POST
def siu_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("scheduling.change_appointment") and not request.user.has_perm(
        "integrations.manage_fhir_clients"
    ):
        raise Http404
    message = get_object_or_404(SiuMessage, pk=pk)
    try:
        siu_resend(message=message)
        messages.success(request, "The message will be sent again.")
    except SiuError as exc:
        messages.error(request, exc.message)
    return redirect("integrations:siu-outbox")


@never_cache  # the answer to a registration shows the client secret
@login_required
@permission_required("integrations.manage_fhir_clients", raise_exception=True)
def fhir_clients(request: HttpRequest) -> HttpResponse:
    form = FhirClientForm(request.POST or None)
    registered = None
    if request.method == "POST" and request.POST.get("revoke"):
        client = get_object_or_404(FhirClient, pk=request.POST["revoke"])
        services.fhir_client_revoke(client=client)
        messages.info(request, f"{client.application.name} can no longer read the API.")
        return redirect("integrations:fhir-clients")
    if request.method == "POST" and form.is_valid():
        registered = services.fhir_client_register(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], user=request.user
        )
        form = FhirClientForm()
    clients = FhirClient.objects.select_related("application")
    return render(
        request, "integrations/fhir_clients.html", {"form": form, "clients": clients, "registered": registered}
    )
