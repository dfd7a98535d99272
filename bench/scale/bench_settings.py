"""The project's settings with one bench-only page (bench/scale/bench_urls.py): `/bench/bare/`, the
reference of the HTTP throughput row (case_http.py), served by the same gunicorn as the real API."""
from orbit_numbers.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.scale.bench_urls"
