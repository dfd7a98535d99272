"""Kernel services: who may mint which API key scopes."""
from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Permission, User

from orbit_numbers.errors import Forbidden
from orbit_numbers.models import SCOPES, ApiKey, AuditLog
from orbit_numbers.services import api_key_create, api_key_grantable_scopes


_usernames = (f"minter{index}" for index in itertools.count(1))


def staff_with(*codenames: str) -> User:
    user = User.objects.create_user(username=next(_usernames), is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orbit_numbers",
                                                         codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


def test_grantable_scopes_need_the_mint_permission_and_one_grant_per_scope(db):
    assert api_key_grantable_scopes(user=staff_with("grant_numbers_read")) == []
    assert api_key_grantable_scopes(user=staff_with("mint_apikey", "grant_porting_read", "grant_numbers_read")) == [
        "numbers:read", "porting:read"]
    superuser = User.objects.create_superuser(username="root", password="pw-root-12345")
    assert api_key_grantable_scopes(user=superuser) == list(SCOPES)


def test_a_staff_user_cannot_mint_a_scope_they_may_not_grant(org):
    user = staff_with("mint_apikey", "grant_numbers_read")
    with pytest.raises(Forbidden) as refused:
        api_key_create(organization=org, scopes=["numbers:read", "porting:write"], acting_user=user)
    assert refused.value.details == {"scopes": ["porting:write"]}
    assert not ApiKey.objects.exists() and not AuditLog.objects.filter(action="api_key.create").exists()

    api_key, _ = api_key_create(organization=org, scopes=["numbers:read"], acting_user=user)
    assert AuditLog.objects.get(action="api_key.create").acting_user == user and api_key.scopes == ["numbers:read"]
