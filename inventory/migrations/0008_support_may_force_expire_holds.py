"""Support staff may end a customer's bulk-reservation hold (the console's force-expire action)."""
from django.db import migrations

from orbit_numbers.migration_grants import grants_apply

GRANTS = {"support": [("inventory", "view_bulkreservation"), ("inventory", "force_expire_reservation"),
                      ("inventory", "view_brand"), ("inventory", "view_campaign")]}


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_reservation_force_expire_permission")]
    operations = [migrations.RunPython(grants_apply(GRANTS), migrations.RunPython.noop)]
