"""Staff accounts in Django admin.

Superusers keep Django's full user admin. Managers (who hold `auth.add_user`/`auth.change_user`) get a narrower
one: they give the Scheduler, Nurse, Charge nurse, Pharmacy and Drug admin roles and nothing else (no superuser,
no Manager role, no single permissions; admin access follows the roles), they cannot change a superuser, a
manager or themselves, and they never set a password: a new account has none until its owner follows the reset
link a manager sends. Once an account has a password its email address is fixed for managers, so a link cannot
be redirected.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from accounts.password_reset import reset_link_queue
from infusion_center.roles import CHARGE_NURSE, DRUG_ADMIN, MANAGER, NURSE, PHARMACY, SCHEDULER, STAFF_ROLES

User = get_user_model()

# The roles a manager may give. Managers are made by a superuser.
MANAGER_ASSIGNABLE_ROLES = (SCHEDULER, NURSE, CHARGE_NURSE, PHARMACY, DRUG_ADMIN)


def is_protected_account(user) -> bool:
    """Accounts only a superuser may change: superusers, managers, and anyone holding single permissions."""
    return bool(user.is_superuser or user.groups.filter(name=MANAGER).exists() or user.user_permissions.exists())


def _roles_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Group.objects.filter(name__in=MANAGER_ASSIGNABLE_ROLES).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Roles",
        help_text="What the person may do. Drug admins also work in this admin site.",
    )


class ManagerUserAddForm(forms.ModelForm):
    groups = _roles_field()

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "groups")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = (
            "When you save, a link to choose a password is sent to this address (it can be sent again from the"
            " user list: “Send a password-reset link”)."
        )

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        user.is_superuser = False
        user.is_staff = False  # set from the roles once they are saved
        if commit:
            user.save()
            self.save_m2m()
        return user


class ManagerUserChangeForm(forms.ModelForm):
    groups = _roles_field()

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active", "groups")


@admin.action(description="Send a password-reset link")
def send_password_reset_link(modeladmin, request, queryset):
    sent = 0
    for user in queryset:
        if not user.email or not modeladmin.has_change_permission(request, user):
            continue
        reset_link_queue(user_id=user.pk, domain=request.get_host(), use_https=request.is_secure())
        sent += 1
    modeladmin.message_user(
        request,
        f"A password-reset link is on its way to {sent} account(s)."
        + (
            " Accounts without an email address, or that you may not change, were left out."
            if sent < len(queryset)
            else ""
        ),
        messages.SUCCESS if sent else messages.WARNING,
    )


class CenterUserAdmin(UserAdmin):
    actions = [send_password_reset_link]
    manager_add_fieldsets = ((None, {"fields": ("username", "first_name", "last_name", "email", "groups")}),)
    manager_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email", "is_active", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = ManagerUserAddForm if obj is None else ManagerUserChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.manager_add_fieldsets if obj is None else self.manager_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        fields = ["last_login", "date_joined"]
        if obj is not None and obj.has_usable_password():
            fields.append("email")
        if obj is not None and not self.has_change_permission(request, obj):
            fields = [f for _, options in self.manager_fieldsets for f in options["fields"]]
        return fields

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return obj.pk != request.user.pk and not is_protected_account(obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and is_protected_account(obj):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied  # managers send a reset link; nobody else learns a staff password
        return super().user_change_password(request, id, form_url)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if request.user.is_superuser:
            return
        user = form.instance
        if not change and user.email:
            reset_link_queue(user_id=user.pk, domain=request.get_host(), use_https=request.is_secure())
            self.message_user(request, f"A link to choose a password is on its way to {user.email}.")
        is_staff = user.groups.filter(name__in=STAFF_ROLES).exists()
        if user.is_staff != is_staff or user.is_superuser:
            user.is_staff, user.is_superuser = is_staff, False
            user.save(update_fields=["is_staff", "is_superuser"])


admin.site.unregister(User)
admin.site.register(User, CenterUserAdmin)
