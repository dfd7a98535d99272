"""Webhook outbox: delivery claims (lease) and staff events with a target URL and no organisation."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orbit_numbers', '0004_apikey_mint_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookevent',
            name='claim_token',
            field=models.CharField(blank=True, default='', editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='webhookevent',
            name='claimed_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='webhookevent',
            name='target_url',
            field=models.URLField(blank=True, default='', help_text='Staff/operations events only: where they are posted.', max_length=500),
        ),
        migrations.AlterField(
            model_name='webhookevent',
            name='organization',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhook_events', to='orbit_numbers.organization'),
        ),
        migrations.AddConstraint(
            model_name='webhookevent',
            constraint=models.CheckConstraint(condition=models.Q(('organization__isnull', False), models.Q(('target_url', ''), _negated=True), _connector='OR'), name='webhook_event_has_a_recipient'),
        ),
    ]
