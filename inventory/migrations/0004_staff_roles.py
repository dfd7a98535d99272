"""Staff roles of the operations console as groups: support, finance, porting-ops.

Each group holds exactly what its people need; an admin action needing a permission a user lacks
is not shown to them. The porting app's own migration adds its permissions to "porting-ops".
Re-running (or a later migration changing ROLES) only adds: removing a grant is a new migration.
"""
from django.db import migrations

_VIEW_NUMBERS = [
    ("inventory", "view_phonenumber"), ("inventory", "view_ownednumber"), ("inventory", "view_numberroute"),
]
_VIEW_CUSTOMERS = [("orbit_numbers", "view_organization"), ("orbit_numbers", "view_auditlog")]

ROLES = {
    # Answers customers: numbers, keys, compliance, stock; releases and moves numbers on request.
    "support": _VIEW_CUSTOMERS + _VIEW_NUMBERS + [
        ("orbit_numbers", "view_apikey"), ("orbit_numbers", "add_apikey"), ("orbit_numbers", "change_apikey"),
        ("billing", "view_wallet"), ("billing", "view_ledgerentry"),
        ("inventory", "change_ownednumber"), ("inventory", "release_number"), ("inventory", "reassign_number"),
        ("inventory", "export_numbers"),
        ("inventory", "view_complianceprofile"), ("inventory", "change_complianceprofile"),
        ("inventory", "view_regulatedcountry"),
        ("inventory", "view_lowstockthreshold"), ("inventory", "add_lowstockthreshold"),
        ("inventory", "change_lowstockthreshold"), ("inventory", "view_lowstockalert"),
        ("inventory", "view_carrierfailure"),
    ],
    # Money: wallets and ledgers, the only role that may post adjustments.
    "finance": _VIEW_CUSTOMERS + _VIEW_NUMBERS + [
        ("billing", "view_wallet"), ("billing", "view_ledgerentry"), ("billing", "adjust_wallet"),
        ("inventory", "export_numbers"),
    ],
    # Port requests and LoA review (porting's migration adds those); needs numbers and carrier errors.
    "porting-ops": _VIEW_CUSTOMERS + _VIEW_NUMBERS + [
        ("inventory", "view_carrierfailure"), ("inventory", "view_complianceprofile"),
    ],
}


def forward(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; this data migration needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in grants:
            # .get(): a misspelt grant fails the migration instead of silently granting nothing.
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_number_digit_search"),
        ("billing", "0004_wallet_adjust_permission"),
        ("orbit_numbers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
