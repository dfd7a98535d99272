"""The staff reset of a lost port-out PIN: its own permission, held by porting-ops (the team that
verifies the customer out of band); no other default group gets it."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "porting-ops"
PERMISSION = "reset_pin"


def forwards(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the group can hold this one.
    app_config = apps.get_app_config("porting")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="porting", codename=PERMISSION))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="porting", codename=PERMISSION))


class Migration(migrations.Migration):
    dependencies = [
        ("porting", "0002_porting_ops_group"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="portoutprotection",
            options={"permissions": [("reset_pin", "Can reset a lost port-out PIN and its lock")],
                     "verbose_name": "port-out protection"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
