"""Running in production: health probes, structured logs and Prometheus metrics.

- ``health``: /healthz (the process answers) and /readyz (its dependencies answer), no auth, JSON.
- ``logs``: request id / Celery task id on every log line; JSON lines with LOG_FORMAT=json.
- ``middleware``: one access log line and the HTTP metrics per request.
- ``metrics`` and ``views``: /metrics for Prometheus, staff or bearer-token only.
- ``gauges``: scrape-time gauges that apps register from their AppConfig.ready() (the kernel imports no app).
- ``celery_metrics``: task counts by name and outcome, from Celery signals.
"""
