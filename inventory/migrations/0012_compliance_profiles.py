"""Compliance profiles become one country each, with line types, actions, field values, documents and a
review lifecycle (draft → submitted → approved | rejected, expired past valid_until); the regulatory
requirements table appears (its shipped data is 0013).

Existing profiles keep working: a profile of several countries keeps its id for its first country and is
copied (same name, status) for each other one; the numbers and reservations of those countries move to
their copy. Old statuses map pending → submitted; approved and rejected stay. Every migrated profile
covers all line types and both actions, as the old country-wide profile did.
"""
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import inventory.models.compliance

LINE_TYPES = ["local", "mobile", "toll_free"]
ACTIONS = ["purchase", "port_in"]


def split_countries(apps, schema_editor):
    ComplianceProfile = apps.get_model("inventory", "ComplianceProfile")
    OwnedNumber = apps.get_model("inventory", "OwnedNumber")
    BulkReservation = apps.get_model("inventory", "BulkReservation")
    for profile in ComplianceProfile.objects.order_by("created_at", "id").iterator():
        countries = [c for c in dict.fromkeys(profile.countries or []) if isinstance(c, str) and len(c) == 2]
        status = "submitted" if profile.status == "pending" else profile.status
        common = {"line_types": LINE_TYPES, "actions": ACTIONS, "status": status,
                  "submitted_at": profile.created_at if status != "draft" else None,
                  "reviewed_at": profile.created_at if status in ("approved", "rejected") else None}
        ComplianceProfile.objects.filter(pk=profile.pk).update(country=(countries[:1] or [""])[0], **common)
        for country in countries[1:]:
            copy = ComplianceProfile.objects.create(
                id=inventory.models.compliance.new_compliance_profile_id(), organization_id=profile.organization_id,
                name=profile.name, country=country, **common)
            ComplianceProfile.objects.filter(pk=copy.pk).update(created_at=profile.created_at)
            OwnedNumber.objects.filter(compliance_profile_id=profile.pk, phone_number__country=country).update(
                compliance_profile_id=copy.pk)
            BulkReservation.objects.filter(compliance_profile_id=profile.pk, country=country).update(
                compliance_profile_id=copy.pk)


def join_countries(apps, schema_editor):
    """Backwards: each profile names its one country again (copies stay separate profiles)."""
    ComplianceProfile = apps.get_model("inventory", "ComplianceProfile")
    for profile in ComplianceProfile.objects.all():
        status = {"submitted": "pending", "draft": "pending", "expired": "rejected"}.get(profile.status,
                                                                                        profile.status)
        ComplianceProfile.objects.filter(pk=profile.pk).update(
            countries=[profile.country] if profile.country else [], status=status)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0011_low_stock_mail_once'),
        ('orbit_numbers', '0005_webhook_outbox_claims'),
    ]

    operations = [
        migrations.CreateModel(
            name='RegulatoryRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('country', models.CharField(help_text='ISO 3166-1 alpha-2.', max_length=2)),
                ('line_type', models.CharField(choices=[('local', 'Local'), ('mobile', 'Mobile'), ('toll_free', 'Toll-free')], max_length=10)),
                ('action', models.CharField(choices=[('purchase', 'Purchase'), ('port_in', 'Port-in')], max_length=10)),
                ('documents', models.JSONField(blank=True, default=list, help_text='A list of {"type", "name", "description", "accepted_formats": ["pdf", "jpeg", "png"], "source": "profile" | "port_request"}.', validators=[inventory.models.compliance._validate_documents])),
                ('fields', models.JSONField(blank=True, default=list, help_text='A list of {"name", "label", "description", "pattern" (a regular expression the whole value must match), "example"}.', validators=[inventory.models.compliance._validate_fields])),
                ('note', models.CharField(blank=True, default='', help_text='The rule and its authority.', max_length=300)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['country', 'line_type', 'action'],
                'constraints': [models.UniqueConstraint(fields=('country', 'line_type', 'action'), name='one_requirement_per_pool_action', violation_error_message='This country, line type and action has a requirement already.')],
            },
        ),
        migrations.AlterModelOptions(
            name='complianceprofile',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('review_complianceprofile', 'Can approve or reject compliance profiles')]},
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='country',
            field=models.CharField(default='', help_text='ISO 3166-1 alpha-2 country this profile covers.', max_length=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='line_types',
            field=models.JSONField(default=list, help_text='Line types covered: local, mobile, toll_free.'),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='actions',
            field=models.JSONField(default=list, help_text='Actions covered: purchase, port_in.'),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='fields',
            field=models.JSONField(blank=True, default=dict, help_text='Values of the required fields, by name.'),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='rejection_reason',
            field=models.CharField(blank=True, default='', max_length=1000),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='valid_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='submitted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='complianceprofile',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='complianceprofile',
            name='id',
            field=models.CharField(default=inventory.models.compliance.new_compliance_profile_id, editable=False, max_length=32, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='complianceprofile',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted (pending review)'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('expired', 'Expired')], default='draft', max_length=10),
        ),
        migrations.AddIndex(
            model_name='complianceprofile',
            index=models.Index(fields=['organization', '-created_at', '-id'], name='cp_org_recent'),
        ),
        migrations.AddIndex(
            model_name='complianceprofile',
            index=models.Index(fields=['status', 'submitted_at'], name='cp_review_queue'),
        ),
        migrations.AddIndex(
            model_name='complianceprofile',
            index=models.Index(condition=models.Q(('status', 'approved')), fields=['valid_until'], name='cp_approved_expiry'),
        ),
        migrations.CreateModel(
            name='ComplianceDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_type', models.CharField(max_length=40)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('file', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orbit_numbers.storedfile')),
                ('profile', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='inventory.complianceprofile')),
            ],
            options={
                'ordering': ['document_type', 'id'],
                'constraints': [models.UniqueConstraint(fields=('profile', 'document_type'), name='one_document_per_type_per_profile')],
            },
        ),
        # Last: rows written here leave deferred constraint checks that a later ALTER of this table would
        # trip on; 0013 drops the old countries column and adds reviewed_by (a foreign key: its checks on
        # existing rows would trip this migration's other ALTERs) in its own transaction.
        migrations.RunPython(split_countries, join_countries),
    ]
