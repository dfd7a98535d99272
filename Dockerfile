# Orbit Numbers, production image: gunicorn (gunicorn.conf.py) by default; the same image runs the
# Celery workers and beat with another command (compose.yaml, DEPLOY.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=orbit_numbers.settings \
    GUNICORN_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/orbit-prometheus \
    MEDIA_ROOT=/app/media

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes (psycopg[binary]
# and cryptography ship wheels, so no compiler is needed).
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system orbit && useradd --system --gid orbit --home-dir /app --no-create-home orbit
COPY --chown=orbit:orbit . .
# Static files are collected at build time (no database needed); the app serves them itself.
# The media and Prometheus directories exist in every container (workers too), owned by the app user.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/media "$PROMETHEUS_MULTIPROC_DIR" \
    && chown orbit:orbit /app/media "$PROMETHEUS_MULTIPROC_DIR"

USER orbit
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
