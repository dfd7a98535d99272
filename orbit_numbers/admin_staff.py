"""Staff accounts and roles (Django's users and groups) in the console, audited like every other
save: field changes (is_staff, is_superuser, is_active …), group and permission changes, deletes,
and password changes, which record that the password changed and never the password or its hash."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db import models, transaction
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from .admin_base import OrbitModelAdmin
from .services import audit_record


def _related_names(obj: models.Model, field_name: str) -> list[str]:
    """Groups by name and permissions as "app_label.codename": what a reviewer of the log reads."""
    related = getattr(obj, field_name)
    if related.model is Permission:
        return [f"{app_label}.{codename}"
                for app_label, codename in related.values_list("content_type__app_label", "codename")]
    return [str(name) for name in related.values_list("name", flat=True)]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(OrbitModelAdmin, UserAdmin):
    # last_login moves on every sign-in, not through this screen.
    audit_exclude = ("last_login",)

    def audit_related_values(self, obj, field_name):
        return _related_names(obj, field_name)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            hash_before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != hash_before:
                    audit_record(action=self.audit_action("password_change"), acting_user=request.user,
                                 target=user, after={"password_usable": user.has_usable_password()})
        return response


@admin.register(Group)
class StaffGroupAdmin(OrbitModelAdmin, GroupAdmin):
    def audit_related_values(self, obj, field_name):
        return _related_names(obj, field_name)
