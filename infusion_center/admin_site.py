"""The project's admin site: every ModelAdmin registered on it is hardened the same way.

- History "Revert" (django-simple-history's history form) saves only for a user with the change permission
  on that object, and only where the admin allows reverting at all (`allow_revert`): a view-only user's POST
  is refused (403), whatever the form holds.
- Changelist filters and searches with a value the database cannot take (a NUL character, a year beyond
  9999, ...) answer 400 in words instead of a server error.

Registration wraps the admin class, so third-party admins (auth, axes) get the same guards.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, FullResultSet, PermissionDenied
from django.http import HttpResponseBadRequest
from simple_history.admin import SimpleHistoryAdmin


class BadLookupValue(Exception):
    """A changelist parameter the database cannot use."""


class GuardedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        try:
            queryset = super().get_queryset(request, exclude_parameters)
            # Compile the SQL now: some bad values (a year out of range) only fail when the query is built.
            queryset.query.get_compiler(queryset.db).as_sql()
        except (EmptyResultSet, FullResultSet):
            return queryset
        except (ValueError, OverflowError, TypeError) as exc:
            raise BadLookupValue(str(exc)) from exc
        return queryset


class GuardedChangeListMixin:
    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        if issubclass(base, GuardedChangeList):
            return base
        return type(f"Guarded{base.__name__}", (GuardedChangeList, base), {})

    def changelist_view(self, request, extra_context=None):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return _bad_filter()
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a value that only fails when the rows are read fails here, not in a 500
        except BadLookupValue:
            return _bad_filter()
        return response


def _bad_filter() -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        "This filter or search has a value that is not valid. Go back to the list and choose another.",
        content_type="text/plain; charset=utf-8",
    )


class RevertGuardMixin:
    """History form: view-only users may look at an old version but never save it.

    An admin sets `allow_revert = False` where an old version must never be saved back (records the app's
    services write); the attribute is read from the admin class, which comes after this mixin.
    """

    def revert_disabled(self, request, obj=None):
        if not getattr(self, "allow_revert", True) or not self.has_change_permission(request, obj):
            return True
        return super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if obj is None or self.revert_disabled(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def harden(admin_class: type) -> type:
    bases: tuple[type, ...] = ()
    if issubclass(admin_class, SimpleHistoryAdmin) and not issubclass(admin_class, RevertGuardMixin):
        bases += (RevertGuardMixin,)
    if not issubclass(admin_class, GuardedChangeListMixin):
        bases += (GuardedChangeListMixin,)
    if not bases:
        return admin_class
    return type(admin_class.__name__, (*bases, admin_class), {"__module__": admin_class.__module__})


class CenterAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, harden(admin_class or admin.ModelAdmin), **options)


class CenterAdminConfig(AdminConfig):
    default_site = "infusion_center.admin_site.CenterAdminSite"
