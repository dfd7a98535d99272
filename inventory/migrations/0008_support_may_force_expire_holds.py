"""Support staff may end a customer's bulk-reservation hold (the console's force-expire action)."""
from django.db import migrations

GRANTS = {"support": [("inventory", "view_bulkreservation"), ("inventory", "force_expire_reservation"),
                      ("inventory", "view_brand"), ("inventory", "view_campaign")]}


def forward(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in grants:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_reservation_force_expire_permission")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
