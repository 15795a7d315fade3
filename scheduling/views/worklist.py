"""The worklist: the plans whose next dose is due within the chosen horizon, overdue first, a page at a time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from infusion_center.paging import NextPagePaginator
from patients.access import patients_shown
from scheduling.forms import WorklistFilterForm
from scheduling.selectors.worklist import PAGE_SIZE, WorklistFilters, page_rows, worklist_rows


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = WorklistFilterForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    filters = WorklistFilters.from_cleaned(form.cleaned_data) if valid else WorklistFilters()
    rows = worklist_rows(filters=filters, today=today, now=timezone.now())
    page = NextPagePaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    patients_shown(request, (row.patient_id for row in page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form if form.is_bound else WorklistFilterForm(),
        "filters": filters,
        "page_obj": page,
        "filter_query": query.urlencode(),
        "rows": page_rows(page.object_list, today=today),
        "today": today,
        "nav": "worklist",
    }
    return render(request, "scheduling/worklist.html", context, status=400 if form.is_bound and form.errors else 200)
