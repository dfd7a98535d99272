"""Staff users and groups in the console: every save is audited, passwords never are."""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone

from orbit_numbers.models import AuditLog
from tests.staff import make_staff, superuser_client  # noqa: F401


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def user_form(user: User, **changes) -> dict:
    joined = timezone.localtime(user.date_joined)
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"), "last_login_0": "", "last_login_1": "",
            "groups": [group.pk for group in user.groups.all()],
            "user_permissions": [perm.pk for perm in user.user_permissions.all()]}
    data.update({flag: "on" for flag in ("is_active", "is_staff", "is_superuser") if getattr(user, flag)})
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def audit_text(entry: AuditLog) -> str:
    return f"{entry.before} {entry.after}"


def test_creating_a_staff_user_is_audited_without_the_password(superuser_client):
    response = superuser_client.post(reverse("admin:auth_user_add"), {
        "username": "newhire", "usable_password": "true",
        "password1": "Correct-Horse-42", "password2": "Correct-Horse-42"})
    assert response.status_code == 302
    user = User.objects.get(username="newhire")
    entry = AuditLog.objects.get(action="admin.auth.user.create")
    assert entry.acting_user == superuser_client.user and entry.object_id == str(user.pk)
    assert entry.before is None and entry.after["username"] == "newhire"
    assert "password" not in entry.after
    assert "Correct-Horse-42" not in audit_text(entry) and user.password not in audit_text(entry)


def test_flag_group_and_permission_changes_are_one_audit_row(superuser_client):
    user = User.objects.create_user(username="clerk", password="pw-clerk-12345", is_staff=True)
    finance = Group.objects.get(name="finance")
    response = superuser_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        user_form(user, is_superuser="on", groups=[finance.pk],
                  user_permissions=[permission("orbit_numbers.mint_apikey").pk]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    (entry,) = AuditLog.objects.filter(action="admin.auth.user.change")
    assert entry.acting_user == superuser_client.user and entry.object_id == str(user.pk)
    assert entry.before["is_superuser"] is False and entry.after["is_superuser"] is True
    assert entry.before["groups"] == [] and entry.after["groups"] == ["finance"]
    assert entry.before["user_permissions"] == [] and entry.after["user_permissions"] == ["orbit_numbers.mint_apikey"]
    assert "password" not in entry.after and "is_staff" not in entry.after  # unchanged fields stay out


def test_a_save_that_changes_nothing_records_no_differences(superuser_client):
    user = User.objects.create_user(username="steady", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    superuser_client.post(reverse("admin:auth_user_change", args=[user.pk]), user_form(user))
    entry = AuditLog.objects.get(action="admin.auth.user.change")
    assert "groups" not in entry.after and "is_superuser" not in entry.after


def test_password_change_is_audited_but_never_the_password_or_its_hash(superuser_client):
    user = User.objects.create_user(username="forgetful", password="Old-Password-77", is_staff=True)
    old_hash = user.password
    response = superuser_client.post(reverse("admin:auth_user_password_change", args=[user.pk]), {
        "password1": "New-Password-88", "password2": "New-Password-88", "usable_password": "true"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-Password-88")
    entry = AuditLog.objects.get(action="admin.auth.user.password_change")
    assert entry.acting_user == superuser_client.user and entry.object_id == str(user.pk)
    assert entry.after == {"password_usable": True}
    for secret in ("New-Password-88", "Old-Password-77", old_hash, user.password):
        assert not AuditLog.objects.filter(after__icontains=secret).exists()
        assert secret not in audit_text(entry)


def test_a_refused_password_change_is_not_audited(superuser_client):
    user = User.objects.create_user(username="typo", password="Old-Password-77", is_staff=True)
    response = superuser_client.post(reverse("admin:auth_user_password_change", args=[user.pk]), {
        "password1": "New-Password-88", "password2": "Other-Password-99", "usable_password": "true"})
    assert response.status_code == 200
    assert not AuditLog.objects.filter(action="admin.auth.user.password_change").exists()


def test_deleting_a_user_is_audited_without_the_hash(superuser_client):
    user = User.objects.create_user(username="leaver", password="pw-leaver-12345", is_staff=True)
    password_hash = user.password
    response = superuser_client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=user.pk).exists()
    entry = AuditLog.objects.get(action="admin.auth.user.delete")
    assert entry.before["username"] == "leaver" and password_hash not in audit_text(entry)


def test_group_create_permission_change_and_delete_are_audited(superuser_client):
    add = superuser_client.post(reverse("admin:auth_group_add"),
                                {"name": "auditors", "permissions": [permission("orbit_numbers.view_auditlog").pk]})
    assert add.status_code == 302
    group = Group.objects.get(name="auditors")
    created = AuditLog.objects.get(action="admin.auth.group.create")
    assert created.after == {"id": group.pk, "name": "auditors", "permissions": ["orbit_numbers.view_auditlog"]}

    superuser_client.post(reverse("admin:auth_group_change", args=[group.pk]), {
        "name": "auditors", "permissions": [permission("orbit_numbers.view_auditlog").pk,
                                            permission("billing.adjust_wallet").pk]})
    changed = AuditLog.objects.get(action="admin.auth.group.change")
    assert changed.acting_user == superuser_client.user
    assert changed.before == {"permissions": ["orbit_numbers.view_auditlog"]}
    assert changed.after == {"permissions": ["billing.adjust_wallet", "orbit_numbers.view_auditlog"]}

    superuser_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    deleted = AuditLog.objects.get(action="admin.auth.group.delete")
    assert deleted.before["name"] == "auditors"


def test_staff_without_user_permissions_cannot_open_the_user_screens(make_staff):
    client = make_staff("support")
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
