"""Wallet adjustments above the approval threshold wait for a second staff member.

Finance both requests and approves (two different people: the model refuses a self-approval);
the group is created here if inventory's staff-roles migration has not run yet.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from orbit_numbers.migration_grants import grants_apply


GRANTS = {"finance": [("billing", "view_walletadjustmentrequest"), ("billing", "approve_wallet_adjustment")]}


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0004_wallet_adjust_permission'),
        ('orbit_numbers', '0004_apikey_mint_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='WalletAdjustmentRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount_cents', models.BigIntegerField()),
                ('reason', models.CharField(max_length=255)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected')], db_index=True, default='pending', max_length=16)),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_reason', models.CharField(blank=True, default='', max_length=255)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ledger_entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.ledgerentry')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orbit_numbers.organization')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
                'permissions': [('approve_wallet_adjustment', 'Can approve or reject a wallet adjustment another staff member requested')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount_cents', 0), _negated=True), name='adjustment_request_amount_non_zero'), models.CheckConstraint(condition=models.Q(('decided_by', models.F('requested_by')), _negated=True), name='adjustment_request_decided_by_someone_else'), models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('ledger_entry__isnull', True), ('status', 'pending')), models.Q(('decided_at__isnull', False), ('decided_by__isnull', False), ('ledger_entry__isnull', False), ('status', 'approved')), models.Q(('decided_at__isnull', False), ('decided_by__isnull', False), ('ledger_entry__isnull', True), ('status', 'rejected')), _connector='OR'), name='adjustment_request_decision_matches_status')],
            },
        ),
        migrations.RunPython(grants_apply(GRANTS), migrations.RunPython.noop),
    ]
