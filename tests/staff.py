"""Console test helpers: staff users in the console's roles, logged into a Django test client.

Import the fixtures into a test module (``from tests.staff import make_staff  # noqa: F401``).
"""
from __future__ import annotations

import importlib
import itertools
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

_counter = itertools.count(1)


@pytest.fixture
def make_staff(db):
    """make_staff("support") → a Client logged in as a staff user in that group (superuser=True for all)."""

    def make(*groups: str, superuser: bool = False) -> Client:
        user = User.objects.create_user(username=f"staff{next(_counter)}", password="pw-console-1",
                                        is_staff=True, is_superuser=superuser)
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def superuser_client(make_staff):
    return make_staff(superuser=True)


def action_names(html: str) -> set[str]:
    """The admin actions a changelist offers (the options of its action <select>)."""
    select = re.search(r'<select name="action"[^>]*>(.*?)</select>', html, re.S)
    return set(re.findall(r'<option value="([^"]+)"', select.group(1))) - {""} if select else set()


def staff_roles_restore() -> None:
    """Re-create the staff groups as the data migrations leave them. Transactional tests (the live
    server's) flush the database between tests, data migrations included. Every migration that
    declares ROLES/GRANTS (group → permissions added) or REVOKES is replayed in migration order."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    plan = []
    for leaf in graph.leaf_nodes():
        plan += [node for node in graph.forwards_plan(leaf) if node not in plan]
    for app_label, name in plan:
        if app_label not in ("orbit_numbers", "billing", "inventory", "porting"):
            continue
        module = importlib.import_module(f"{app_label}.migrations.{name}")
        for grants in (getattr(module, "ROLES", {}), getattr(module, "GRANTS", {})):
            for group_name, pairs in grants.items():
                group, _ = Group.objects.get_or_create(name=group_name)
                for pair_app, codename in pairs:
                    # filter, not get: a later migration may have dropped the model (RegulatedCountry in 0013).
                    group.permissions.add(*Permission.objects.filter(content_type__app_label=pair_app,
                                                                     codename=codename))
        for group_name, pairs in getattr(module, "REVOKES", {}).items():
            group = Group.objects.get(name=group_name)
            for pair_app, codename in pairs:
                group.permissions.remove(*Permission.objects.filter(content_type__app_label=pair_app,
                                                                    codename=codename))
