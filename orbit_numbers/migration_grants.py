"""Staff-role grants for data migrations: one implementation for every app's migrations.

A migration declares ``GRANTS = {group: [(app_label, codename), …]}`` (or ``REVOKES``) and runs
``migrations.RunPython(grants_apply(GRANTS), migrations.RunPython.noop)``. tests/staff.py replays
every migration's GRANTS and REVOKES in order, so live-server tests see the roles as deployed.
"""
from __future__ import annotations

Grants = dict[str, list[tuple[str, str]]]


def _create_permissions(apps) -> None:
    """Permissions are normally created after all migrations ran; a grant needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grants_apply(grants: Grants):
    def forward(apps, schema_editor):
        _create_permissions(apps)
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for name, pairs in grants.items():
            group, _ = Group.objects.get_or_create(name=name)
            for app_label, codename in pairs:
                group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

    return forward
