"""Webhook endpoints (many per organisation, each with its event filter and signing secret) and
per-endpoint deliveries, which take over the attempts, claims and backoff of WebhookEvent (now the
immutable record of an event). Legacy data: an organisation's webhook_url becomes an endpoint for
every event ("*") signed with its existing WebhookSecret; each event's delivery state moves to a
delivery (to that endpoint, or to a staff event's target_url). Then Organization.webhook_url and
WebhookSecret go away."""

import django.db.models.deletion
import orbit_numbers.webhooks.models
from django.db import migrations, models

from orbit_numbers.migration_grants import grants_apply

GRANTS = {"support": [("orbit_numbers", "view_webhookendpoint"), ("orbit_numbers", "view_webhookdelivery"),
                      ("orbit_numbers", "replay_webhookdelivery")]}

_DELIVERY_STATE = ("status", "attempts", "next_attempt_at", "last_attempt_at", "last_status_code", "last_error",
                   "delivered_at", "claim_token", "claimed_until")


def _immediate_constraints(schema_editor) -> None:
    # Rows inserted here leave deferred FK checks pending; ALTER TABLE later in this transaction
    # refuses to run with pending trigger events, so fire them now (PostgreSQL; SQLite checks at once).
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def legacy_forward(apps, schema_editor):
    Organization = apps.get_model("orbit_numbers", "Organization")
    WebhookSecret = apps.get_model("orbit_numbers", "WebhookSecret")
    WebhookEndpoint = apps.get_model("orbit_numbers", "WebhookEndpoint")
    WebhookEvent = apps.get_model("orbit_numbers", "WebhookEvent")
    WebhookDelivery = apps.get_model("orbit_numbers", "WebhookDelivery")
    secrets = dict(WebhookSecret.objects.values_list("organization_id", "secret"))
    endpoints = {}
    for org_id, url in Organization.objects.exclude(webhook_url="").values_list("pk", "webhook_url").iterator():
        fields = {"organization_id": org_id, "url": url, "events": ["*"],
                  "description": "Migrated from the organisation's webhook URL."}
        if org_id in secrets:
            fields["secret"] = secrets[org_id]
        endpoints[org_id] = WebhookEndpoint.objects.create(**fields).pk
    batch = []
    for event in WebhookEvent.objects.exclude(status="skipped").iterator(chunk_size=2000):
        if event.organization_id is not None and event.organization_id not in endpoints:
            continue
        batch.append(WebhookDelivery(
            id=orbit_numbers.webhooks.models.new_delivery_id(), event_id=event.pk,
            endpoint_id=endpoints.get(event.organization_id), organization_id=event.organization_id,
            created_at=event.created_at, **{name: getattr(event, name) for name in _DELIVERY_STATE}))
        if len(batch) >= 2000:
            WebhookDelivery.objects.bulk_create(batch)
            batch = []
    WebhookDelivery.objects.bulk_create(batch)
    _immediate_constraints(schema_editor)


def legacy_backward(apps, schema_editor):
    Organization = apps.get_model("orbit_numbers", "Organization")
    WebhookSecret = apps.get_model("orbit_numbers", "WebhookSecret")
    WebhookEndpoint = apps.get_model("orbit_numbers", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.filter(enabled=True).order_by("created_at").iterator():
        if Organization.objects.filter(pk=endpoint.organization_id, webhook_url="").update(webhook_url=endpoint.url):
            WebhookSecret.objects.update_or_create(organization_id=endpoint.organization_id,
                                                   defaults={"secret": endpoint.secret})
    _immediate_constraints(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('orbit_numbers', '0007_organization_contact_parent_scopes'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.CharField(default=orbit_numbers.webhooks.models.new_delivery_id, editable=False, max_length=32, primary_key=True, serialize=False)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed (retries exhausted)'), ('skipped', 'Skipped (endpoint disabled or deleted)')], default='pending', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='Attempts since creation or the last replay.')),
                ('replays', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, default='', max_length=500)),
                ('last_response_ms', models.PositiveIntegerField(blank=True, null=True)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('claim_token', models.CharField(blank=True, default='', editable=False, max_length=32)),
                ('claimed_until', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name_plural': 'webhook deliveries',
                'ordering': ['-created_at', '-id'],
                'permissions': [('replay_webhookdelivery', 'Can replay a webhook delivery')],
            },
        ),
        migrations.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', models.CharField(default=orbit_numbers.webhooks.models.new_endpoint_id, editable=False, max_length=32, primary_key=True, serialize=False)),
                ('url', models.URLField(max_length=500)),
                ('description', models.CharField(blank=True, default='', max_length=200)),
                ('events', models.JSONField(default=list, help_text='Catalogue event types, or ["*"] for every event.')),
                ('enabled', models.BooleanField(default=True)),
                ('secret', models.CharField(default=orbit_numbers.webhooks.models.new_webhook_secret, editable=False, max_length=100)),
                ('previous_secret', models.CharField(blank=True, default='', editable=False, max_length=100)),
                ('previous_secret_expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('failing_since', models.DateTimeField(blank=True, help_text='First failed attempt since the last success; disabled after WEBHOOK_DISABLE_AFTER_DAYS of failures.', null=True)),
                ('disabled_at', models.DateTimeField(blank=True, null=True)),
                ('disabled_reason', models.CharField(blank=True, default='', max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='orbit_numbers.webhookevent'),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='organization',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhook_deliveries', to='orbit_numbers.organization'),
        ),
        migrations.AddField(
            model_name='webhookendpoint',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='orbit_numbers.organization'),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='endpoint',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='orbit_numbers.webhookendpoint'),
        ),
        migrations.AddIndex(
            model_name='webhookendpoint',
            index=models.Index(fields=['organization', '-created_at'], name='webhook_endpoint_org_recent'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(fields=['status', 'next_attempt_at'], name='webhook_delivery_due'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(fields=['endpoint', '-created_at'], name='webhook_delivery_endpoint'),
        ),
        migrations.AddConstraint(
            model_name='webhookdelivery',
            constraint=models.UniqueConstraint(condition=models.Q(('endpoint__isnull', False)), fields=('event', 'endpoint'), name='webhook_delivery_once_per_endpoint'),
        ),
        migrations.RunPython(legacy_forward, legacy_backward),
        migrations.RemoveField(
            model_name='webhooksecret',
            name='organization',
        ),
        migrations.RemoveIndex(
            model_name='webhookevent',
            name='webhook_due',
        ),
        migrations.RemoveField(
            model_name='organization',
            name='webhook_url',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='claim_token',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='claimed_until',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='delivered_at',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='last_attempt_at',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='last_status_code',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='next_attempt_at',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='status',
        ),
        migrations.DeleteModel(
            name='WebhookSecret',
        ),
        migrations.RunPython(grants_apply(GRANTS), migrations.RunPython.noop),
    ]
