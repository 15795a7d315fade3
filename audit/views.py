"""Audit pages for managers: the change history of patient, scheduling and drug data, and the access log."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import TemplateView

from audit.history import change_entries, change_history
from infusion_center.paging import NextPagePaginator
from patients.models import Patient, PatientAccess

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), required=False, widget=forms.HiddenInput)
    user = forms.ModelChoiceField(
        queryset=get_user_model()._default_manager.order_by("username"),
        required=False,
        empty_label="Any user",
        label="User",
    )


class AuditView(PermissionRequiredMixin, TemplateView):
    permission_required = "patients.view_audit"
    raise_exception = False  # anonymous: to sign-in; signed in without the permission: 403
    tab = ""

    def filters(self) -> AuditFilterForm:
        form = AuditFilterForm(self.request.GET or None)
        if form.is_bound and not form.is_valid():
            form = AuditFilterForm()
        return form

    def page(self, queryset):
        return NextPagePaginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filters()
        cleaned = form.cleaned_data if form.is_bound else {}
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=form,
            filter_patient=cleaned.get("patient"),
            filter_user=cleaned.get("user"),
            filter_query=query.urlencode(),
            tab=self.tab,
            nav="audit",
        )
        return context


class ChangeHistoryView(AuditView):
    template_name = "audit/change_history.html"
    tab = "changes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient, user = context["filter_patient"], context["filter_user"]
        page = self.page(change_history(patient_id=patient.pk if patient else None, user_id=user.pk if user else None))
        context.update(page_obj=page, entries=change_entries(list(page.object_list)))
        return context


class AccessLogView(AuditView):
    template_name = "audit/access_log.html"
    tab = "access"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accesses = PatientAccess.objects.select_related("patient")
        if context["filter_patient"]:
            accesses = accesses.filter(patient_id=context["filter_patient"].pk)
        if context["filter_user"]:
            accesses = accesses.filter(user_id=context["filter_user"].pk)
        context["page_obj"] = self.page(accesses)
        return context
