"""The project's URLs plus two bench-only views, behind the middleware every request goes through:
`/bench/bare/`, plain JSON with no database, cache or API framework (the ceiling of the HTTP throughput
row, bench/scale/case_http.py), and `/bench/select-one/`, the same with one `SELECT 1` (the reference of
the in-process request-path row, bench/scale/case_request_path.py)."""
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from orbit_numbers.urls import handler400, handler403, handler404, handler500, urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare(request):
    return JsonResponse({"ok": True})


def select_one(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        value = cursor.fetchone()[0]
    return JsonResponse({"ok": value == 1})


urlpatterns = [path("bench/bare/", bare), path("bench/select-one/", select_one), *project_urlpatterns]
