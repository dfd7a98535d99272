"""Load the regulatory requirements the project ships (inventory/regulatory_data.py: US, CA, GB, DE, FR, NL,
ES, AU × local, mobile, toll-free × purchase, port-in). Staff edit them in the console afterwards; loading
only fills what is missing, it never overwrites an edited entry.

RegulatedCountry goes: a pool is regulated when its requirement asks for anything a profile must hold.
Its rows are migrated: a listed country that the shipped table does not know gets a proof-of-address
requirement for every line type and action, carrying its note.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from inventory.regulatory_data import document, regulatory_requirements_ensure
from orbit_numbers.migration_grants import grants_apply

# Staff roles (0004_staff_roles): support reviews profiles and keeps the table; porting-ops reads it.
GRANTS = {
    "support": [("inventory", codename) for codename in (
        "review_complianceprofile", "view_regulatoryrequirement", "add_regulatoryrequirement",
        "change_regulatoryrequirement", "view_compliancedocument")],
    "porting-ops": [("inventory", "view_regulatoryrequirement"), ("inventory", "view_compliancedocument")],
}


def forward(apps, schema_editor):
    RegulatoryRequirement = apps.get_model("inventory", "RegulatoryRequirement")
    RegulatedCountry = apps.get_model("inventory", "RegulatedCountry")
    regulatory_requirements_ensure(RegulatoryRequirement)
    known = set(RegulatoryRequirement.objects.values_list("country", flat=True))
    for listed in RegulatedCountry.objects.exclude(country__in=known):
        for line_type in ("local", "mobile", "toll_free"):
            for action in ("purchase", "port_in"):
                RegulatoryRequirement.objects.create(
                    country=listed.country, line_type=line_type, action=action,
                    documents=[document("proof_of_address")], fields=[],
                    note=listed.note or "Migrated from the regulated-countries list.")

    grants_apply(GRANTS)(apps, schema_editor)


def backward(apps, schema_editor):
    """The regulated-countries list again: every country that requires something for a purchase."""
    RegulatoryRequirement = apps.get_model("inventory", "RegulatoryRequirement")
    RegulatedCountry = apps.get_model("inventory", "RegulatedCountry")
    for requirement in RegulatoryRequirement.objects.filter(action="purchase"):
        if requirement.fields or requirement.documents:
            RegulatedCountry.objects.get_or_create(country=requirement.country,
                                                   defaults={"note": requirement.note[:200]})
    RegulatoryRequirement.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0012_compliance_profiles'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name='complianceprofile',
            name='countries',
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(
            name='RegulatedCountry',
        ),
    ]
