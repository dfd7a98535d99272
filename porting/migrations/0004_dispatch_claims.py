"""Dispatch claims: a port request being sent to its carrier (see porting.models.DispatchClaim)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('porting', '0003_port_out_pin_reset'),
    ]

    operations = [
        migrations.AddField(
            model_name='portoutrequest',
            name='dispatch_action',
            field=models.CharField(blank=True, choices=[('create', 'Placing the carrier order'), ('supplement', 'Sending a supplement'), ('cancel', 'Cancelling at the carrier')], default='', max_length=12),
        ),
        migrations.AddField(
            model_name='portoutrequest',
            name='dispatch_claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='portoutrequest',
            name='dispatch_token',
            field=models.CharField(blank=True, default='', editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='portrequest',
            name='dispatch_action',
            field=models.CharField(blank=True, choices=[('create', 'Placing the carrier order'), ('supplement', 'Sending a supplement'), ('cancel', 'Cancelling at the carrier')], default='', max_length=12),
        ),
        migrations.AddField(
            model_name='portrequest',
            name='dispatch_claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='portrequest',
            name='dispatch_token',
            field=models.CharField(blank=True, default='', editable=False, max_length=32),
        ),
    ]
