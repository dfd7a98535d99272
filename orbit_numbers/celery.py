import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orbit_numbers.settings")

app = Celery("orbit_numbers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
