"""The project's URLs plus `/bench/bare/`: a plain Django view answering JSON, with no database, cache or
API framework behind it; only the middleware every request goes through. It is the ceiling a request
of the real API can approach on the same server (bench/scale/case_http.py)."""
from django.http import JsonResponse
from django.urls import path

from orbit_numbers.urls import handler400, handler403, handler404, handler500, urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
