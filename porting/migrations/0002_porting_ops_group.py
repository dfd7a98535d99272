"""The porting-ops staff group: sees port requests, reviews LoAs, records carrier progress."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "porting-ops"
PERMISSIONS = [
    "view_portrequest", "change_portrequest", "review_loa",
    "view_portoutrequest", "change_portoutrequest",
    "view_portoutprotection",
]


def forwards(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the group can hold them.
    app_config = apps.get_app_config("porting")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="porting", codename__in=PERMISSIONS))


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("porting", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
