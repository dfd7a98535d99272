"""Support no longer creates customer API keys: add_apikey let a support user mint a key with
every scope for any organisation. Minting now needs orbit_numbers.mint_apikey plus one grant_*
permission per scope (orbit_numbers 0003), which no staff group holds by default: superusers
mint keys, or a person is granted exactly the scopes they may hand out. Support keeps viewing
and revoking keys."""
from django.db import migrations

REVOKES = {"support": [("orbit_numbers", "add_apikey")]}


def forward(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, revokes in REVOKES.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in revokes:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0009_purchase_holds_and_carrier_releases"),
        ("orbit_numbers", "0004_apikey_mint_permission"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
